import Hummingbird
import Prometheus

/// `GET /metrics`: everything registered with the application's Prometheus registry (the spool's counters, gauges
/// and histograms among it, through swift-metrics), in Prometheus' text exposition format.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry

    func add(to router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }
}
