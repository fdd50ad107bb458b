import BreachIndex
import Metrics

/// The served indexes' checksum verification and reloads, in the process's Prometheus
/// registry (``ServerMetrics``): what an alert on a damaged index or a refused reload reads.
enum VerificationMetrics {
    /// `breachdb_index_checksum_chunks{kind, path, state}`: of the index's chunks, how many
    /// are verified, damaged and not yet checked (they add up to 256).
    static func record(_ integrity: IndexIntegrity, _ checked: Int, damaged: Int) {
        let index = integrity.index
        for (state, chunks) in [
            ("verified", checked - damaged), ("damaged", damaged),
            ("unchecked", BreachIndex.checksumChunkCount - checked),
        ] {
            Gauge(
                label: "breachdb_index_checksum_chunks",
                dimensions: [("kind", index.kind.rawValue), ("path", index.path), ("state", state)],
                factory: ServerMetrics.factory
            )
            .record(Double(chunks))
        }
    }

    /// `breachdb_index_reloads_total{result}`: reloads that swapped in new indexes
    /// (`swapped`) or kept the old ones because the new failed a check (`refused`).
    static func recordReload(swapped: Bool) {
        Counter(
            label: "breachdb_index_reloads_total", dimensions: [("result", swapped ? "swapped" : "refused")],
            factory: ServerMetrics.factory
        ).increment()
    }
}
