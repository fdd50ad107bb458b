import BreachIndex
import Metrics
import Prometheus
import Foundation

/// The process's Prometheus registry, served at `GET /metrics`. Hummingbird's
/// `MetricsMiddleware` records requests by route and status and their latency through
/// swift-metrics; the index gauges are set at every (re)load.
public enum ServerMetrics {
    /// Bootstrapped into swift-metrics on first use: a process bootstraps only once.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Publishes what is being served: hash counts and the generation as a label.
    static func record(_ snapshot: ServedIndexes.Snapshot) {
        _ = registry
        for index in [snapshot.sha1, snapshot.ntlm].compactMap({ $0 }) {
            let kind = index.kind.rawValue
            Gauge(label: "breachdb_index_hashes", dimensions: [("kind", kind)]).record(Double(index.metadata.hashCount))
            Gauge(label: "breachdb_index_loaded_timestamp_seconds", dimensions: [("kind", kind), ("generation", index.metadata.generation)])
                .record(snapshot.loadedAt.timeIntervalSince1970)
        }
    }
}
