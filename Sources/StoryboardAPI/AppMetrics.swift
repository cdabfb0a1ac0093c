import Foundation
import Metrics
import Prometheus

/// The metrics of one server instance: its own registry, so tests never share counters.
public struct AppMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }
}
