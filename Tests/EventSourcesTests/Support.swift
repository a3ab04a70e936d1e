import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

func received(_ e: Envelope, endpoint: Int = 0) -> Received {
    Received(envelope: e, endpoint: endpoint, receivedAt: e.timestamp)
}
