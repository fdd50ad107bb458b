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

    /// The index, refused when it is compact: a compact index keeps too little of each hash
    /// to give whole ones back. `refusal` ends the message with what the command cannot do.
    func openFull(refusal: String) throws -> BreachIndex {
        let index = try open()
        guard index.answersRanges else {
            throw CommandFailure("\(index.path): a compact index keeps only the first 64 bits of each hash\(refusal)")
        }
        return index
    }
}
