import BreachIndex
import Foundation
import HTTPTypes
import Metrics
import Prometheus
import Synchronization

/// The daemon's Prometheus registry, served at `GET /metrics`. `RequestPolicy` records
/// requests by route and status and their latency through swift-metrics; the index gauges
/// are set at every (re)load. Every metric is made with `factory`, never the process's
/// `MetricsSystem`, which belongs to the program: an application that embeds the server
/// and bootstraps its own metrics keeps them (the `breachdb` command points the process's
/// system here too, with `bootstrapProcessMetrics`).
public enum ServerMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Makes the daemon's metrics in `registry`.
    static let factory = PrometheusMetricsFactory(registry: registry)

    /// Sends the process's swift-metrics (those of the libraries below, as Hummingbird's)
    /// to `registry`, so `GET /metrics` has them too. For a program's entry point: a
    /// process bootstraps its metrics system once.
    public static func bootstrapProcessMetrics() {
        MetricsSystem.bootstrap(factory)
    }

    /// Publishes what is being served: hash counts and when the index was loaded, by kind.
    /// The generation is no label: each reload would add a time series that never goes away
    /// (`GET /v1/index` names it).
    static func record(_ snapshot: ServedIndexes.Snapshot) {
        for index in [snapshot.sha1, snapshot.ntlm].compactMap({ $0 }) {
            let kind = index.kind.rawValue
            Gauge(label: "breachdb_index_hashes", dimensions: [("kind", kind)], factory: ServerMetrics.factory).record(
                Double(index.metadata.hashCount))
            Gauge(
                label: "breachdb_index_loaded_timestamp_seconds", dimensions: [("kind", kind)],
                factory: ServerMetrics.factory
            )
            .record(snapshot.loadedAt.timeIntervalSince1970)
        }
    }
}

/// Request counts and latencies by route template, method and status, under the labels
/// Hummingbird's `MetricsMiddleware` uses (`hb_requests`, `http_server_request_duration`).
final class RouteMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let series = Mutex<[Key: (requests: Metrics.Counter, duration: Metrics.Timer)]>([:])

    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, nanoseconds: UInt64) {
        let key = Key(route: route, method: method, status: status.code)
        let (requests, duration) = series.withLock { series in
            if let known = series[key] { return known }
            let dimensions = [
                ("http.route", route), ("http.request.method", method.rawValue),
                ("http.response.status_code", String(status.code)),
            ]
            let made = (
                Metrics.Counter(label: "hb.requests", dimensions: dimensions, factory: ServerMetrics.factory),
                Metrics.Timer(
                    label: "http.server.request.duration", dimensions: dimensions, factory: ServerMetrics.factory)
            )
            series[key] = made
            return made
        }
        requests.increment()
        duration.recordNanoseconds(Int64(nanoseconds))
    }
}
