/// D1, R5: who may do what to whom. Administrators (`super_admin`, `user_admin`) add
/// and edit users and send them reset e-mails; a `user` manages only their own account;
/// only a super-administrator makes, edits or demotes another super-administrator.
enum AccessPolicy {
    /// D1: may `actor` add a user with `role`?
    static func mayAdd(_ role: Role, by actor: Role) -> Bool {
        actor.administersUsers && (role != .superAdministrator || actor == .superAdministrator)
    }

    /// R5, R6, A5: may `actor` set the password of, or (de)activate, an account with `target`'s role?
    static func mayEdit(_ target: Role, by actor: Role) -> Bool {
        actor.administersUsers && (target != .superAdministrator || actor == .superAdministrator)
    }

    /// R5: may `actor` send a reset e-mail to another user? (It goes to the user's own
    /// address, so any administrator may, whatever the user's role.)
    static func maySendReset(by actor: Role) -> Bool { actor.administersUsers }

    /// D1: may `actor` change `target`'s role to `role`?
    static func mayChangeRole(of target: Role, to role: Role, by actor: Role) -> Bool {
        mayEdit(target, by: actor) && mayAdd(role, by: actor)
    }

    /// Throws ``AccountError/forbidden`` unless `allowed`.
    static func require(_ allowed: Bool) throws {
        guard allowed else { throw AccountError.forbidden }
    }
}
