import Foundation
import Mustache

/// What the pages are made of: the Mustache templates, one message catalogue per
/// language, the stylesheet and the script. The built-in set ships as the module's
/// resources; an operator's directory (`--pages-directory`) replaces any of its files
/// without a rebuild: `templates/NAME.mustache`, `messages/LANGUAGE.json`,
/// `static/pages.css`, `static/pages.js`.
public struct PageResources: Sendable {
    let templates: MustacheLibrary
    let catalogues: [String: MessageCatalogue]
    /// Files under `/pages/…`, by name: the stylesheet and the script.
    let staticFiles: [String: StaticFile]

    struct StaticFile: Sendable {
        var contentType: String
        var body: Data
    }

    /// The built-in resources, each replaced by its namesake in `directory` if that has one.
    public init(overridesFrom directory: String? = nil) async throws {
        // Foundation on Linux takes a bundle holding a "Resources" folder for one whose
        // resources live in it, on macOS not: look in both.
        let candidates = [Bundle.module.resourceURL, Bundle.module.resourceURL?.appendingPathComponent("Resources")]
            .compactMap { $0?.path }
        guard
            let builtIn = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/messages/en.json") })
        else {
            throw PageResourceError(file: "Resources", problem: "the module's resources are missing")
        }
        let roots = [builtIn] + (directory.map { [$0] } ?? [])
        var library = MustacheLibrary()
        var catalogues: [String: MessageCatalogue] = [:]
        var staticFiles: [String: StaticFile] = [:]
        for root in roots {
            for (name, path) in Self.files(in: root + "/templates", ending: ".mustache") {
                do {
                    library.register(
                        try MustacheTemplate(string: try String(contentsOfFile: path, encoding: .utf8)), named: name)
                } catch {
                    throw PageResourceError(file: path, problem: "\(error)")
                }
            }
            for (language, path) in Self.files(in: root + "/messages", ending: ".json") {
                // An operator's catalogue may change a few messages: the rest stay built-in.
                let messages = try MessageCatalogue(contentsOf: path)
                catalogues[language] = catalogues[language].map { $0.overridden(by: messages) } ?? messages
            }
            for (name, type) in [
                ("pages.css", "text/css; charset=utf-8"), ("pages.js", "text/javascript; charset=utf-8"),
            ] {
                let path = root + "/static/" + name
                if let body = FileManager.default.contents(atPath: path) {
                    staticFiles[name] = StaticFile(contentType: type, body: body)
                }
            }
        }
        guard catalogues["en"] != nil else {
            throw PageResourceError(file: "messages/en.json", problem: "the English catalogue is required")
        }
        self.templates = library
        self.catalogues = catalogues
        self.staticFiles = staticFiles
    }

    private static func files(in directory: String, ending suffix: String) -> [(name: String, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map {
            (String($0.dropLast(suffix.count)), directory + "/" + $0)
        }
    }
}

/// A page resource that cannot be read or parsed, with the file that holds it.
public struct PageResourceError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
