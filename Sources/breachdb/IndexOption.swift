import ArgumentParser
import BreachIndex

/// `--index PATH`, shared by the commands that read an index.
struct IndexOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The index file to read.")
    var index: String

    func open() throws -> BreachIndex {
        do {
            return try BreachIndex(path: index)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
