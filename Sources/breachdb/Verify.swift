import ArgumentParser
import BreachIndex

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an index end to end.",
        discussion:
            "Recomputes every XXH3 checksum, decodes every bucket and compares the totals with the metadata. Exits 0 only if every check passes."
    )

    @OptionGroup var index: IndexOption

    func run() throws {
        let index = try self.index.open()
        let result = index.verify()
        if result.isIntact {
            print(
                "\(index.path): ok (\(result.hashesChecked.formatted()) hashes in \(result.bucketsChecked.formatted()) buckets)"
            )
            return
        }
        for problem in result.problems { print("\(index.path): \(problem)") }
        if result.problemCount > result.problems.count {
            print("\(index.path): … and \(result.problemCount - result.problems.count) more problems")
        }
        throw CommandFailure("\(index.path): FAILED verification (\(result.problemCount) problems)")
    }
}
