import Hummingbird
import Prometheus

/// `GET /metrics` (Prometheus text) and `GET /openapi.json`.
struct OperationsController {
    let registry: PrometheusCollectorRegistry
    let openAPIDocument: ByteBuffer

    func register(_ routes: Routes) {
        routes.add(.get, "/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        routes.add(.get, "/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: openAPIDocument))
        }
    }
}
