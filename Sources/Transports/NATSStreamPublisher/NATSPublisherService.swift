import ProtocolV1Server
import ServiceLifecycle

/// The publisher as a service of the server it publishes (`sim`, `gateway`):
/// it stops when the server does.
public struct NATSPublisherService<Engine: ServedEngine>: Service {
    public let publisher: NATSPublisher<Engine>

    public init(_ publisher: NATSPublisher<Engine>) { self.publisher = publisher }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await publisher.run() }
    }
}
