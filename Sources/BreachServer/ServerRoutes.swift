import Hummingbird

/// Routes that a module above the daemon serves beside the range and check APIs (the
/// account API and pages): registered on a group of the daemon's router, so the request
/// policy (rate limit, body limits, metrics) covers them too, and the group's own rate
/// limit (``ServerConfiguration/routesRequestsPerSecond``). The daemon itself knows
/// nothing of them.
public protocol ServerRoutes: Sendable {
    func register(on router: some RouterMethods<BreachRequestContext>)
}
