import Metrics
import Prometheus
import Vapor

/// Request counts and latencies by route for `/metrics`. Vapor records `http_requests_total`
/// and `http_request_duration_seconds` per route pattern through swift-metrics; this backs them
/// with a Prometheus registry. The metrics system can be bootstrapped once per process.
enum Telemetry {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func bootstrap() { _ = registry }

    static func exposition() -> ByteBuffer {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}
