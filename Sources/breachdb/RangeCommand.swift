import ArgumentParser
import BreachIndex

/// `breachdb range PREFIX` (named so that it does not shadow `Swift.Range`).
struct RangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "range",
        abstract: "Print the range response for a 5-hex prefix.",
        discussion:
            "Writes exactly the body `GET /range/PREFIX` serves without padding: uppercase SUFFIX:COUNT lines joined by CRLF, none after the last."
    )

    @OptionGroup var index: IndexOption

    @Argument(help: "The first 5 hex digits of the hash (any case).")
    var prefix: String

    func validate() throws {
        guard BreachIndex.rangePrefix(prefix) != nil else {
            throw ValidationError("the prefix must be 5 hex digits, got '\(prefix)'")
        }
    }

    func run() throws {
        let index = try self.index.openFull(refusal: " and cannot answer range queries; use the full index")
        let output = OutputBuffer()
        output.append(index.rangeBody(prefix: BreachIndex.rangePrefix(prefix)!))
    }
}
