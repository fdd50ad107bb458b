import Foundation

/// A new random identifier for a stored row or an index generation: a lowercase UUID,
/// so that identifiers compare equal whatever the database's collation.
public func makeIdentifier() -> String {
    UUID().uuidString.lowercased()
}
