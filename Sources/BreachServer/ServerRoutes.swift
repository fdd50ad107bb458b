import Hummingbird

/// Routes that a module above the daemon serves beside the range and check APIs (the
/// account API): registered on the daemon's router, so the request policy (rate limit,
/// body limits, metrics) covers them too. The daemon itself knows nothing of them.
public protocol ServerRoutes: Sendable {
    func register(on router: Router<BreachRequestContext>)
}
