import ArgumentParser
import Configuration
import Foundation
import SystemPackage

/// A setting of `serve` or `accounts`, named as its command-line option. Each can also
/// come from the environment, as `BREACHDB_` and the name in capitals with underscores
/// (`tls-key` is `BREACHDB_TLS_KEY`), or from a JSON config file keyed by the names
/// (`{"tls-key": "/etc/breachdb/key.pem", "port": 8443}`). These are all the file may hold.
enum Setting: String, CaseIterable {
    case index
    case ntlmIndex = "ntlm-index"
    case host
    case port
    case unixSocket = "unix-socket"
    case noPlaintext = "no-plaintext"
    case reloadInterval = "reload-interval"
    case idleTimeout = "idle-timeout"
    case requestTimeout = "request-timeout"
    case maxConnections = "max-connections"
    case maxConnectionsPerAddress = "max-connections-per-address"
    case rangeCacheMB = "range-cache-mb"
    case rateLimit = "rate-limit"
    case trustedProxies = "trusted-proxies"
    case tlsCertificate = "tls-certificate"
    case tlsKey = "tls-key"
    case tokenFile = "token-file"
    case adminTokenFile = "admin-token-file"
    case accounts
    case smtpURL = "smtp-url"
    case smtpPlaintextLoopback = "smtp-plaintext-loopback"
    case smtpPasswordFile = "smtp-password-file"
    case mailFrom = "mail-from"
    case smsWebhook = "sms-webhook"
    case smsWebhookTokenFile = "sms-webhook-token-file"
    case linkBaseURL = "link-base-url"
    case minimumPasswordLength = "minimum-password-length"
    case productName = "product-name"
    case pagesDirectory = "pages-directory"
    case noPages = "no-pages"
    case outboxKeyFile = "outbox-key-file"

    var environmentVariable: String { "BREACHDB_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") }
    /// How to name the setting in an error: every place it can be given.
    var names: String { "--\(rawValue) / \(environmentVariable)" }

    /// What `body` makes of this setting's value; an error it throws (but a
    /// `ValidationError`, worded already) becomes one that names the setting.
    func validated<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(names): \(error)")
        }
    }
}

/// `--config FILE`: the config file, shared by the commands that take settings.
struct ConfigFileOption: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A JSON file of settings keyed by option name, e.g. {\"index\": \"/data/pwned.idx\", \"port\": 8080}; the command line and the environment win over it (env BREACHDB_CONFIG).",
            valueName: "file"))
    var path: String?
}

/// Where settings come from, first found wins: the command line, the environment, the
/// config file (swift-configuration's environment and JSON file providers).
struct Settings {
    private let environment: KeyMappingProvider<EnvironmentVariablesProvider>
    private let file: (path: String, provider: FileProvider<JSONSnapshot>)?

    /// Reads the config file, if one is named; refuses one that is missing, is not a JSON
    /// object or holds a key that is not a setting (a typo would otherwise be ignored).
    init(_ option: ConfigFileOption) async throws {
        environment = EnvironmentVariablesProvider().prefixKeys(with: "breachdb")
        guard let path = option.path ?? ProcessInfo.processInfo.environment["BREACHDB_CONFIG"] else {
            file = nil
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path): cannot read the config file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CommandFailure("\(path): not a JSON object of settings")
        }
        let known = Set(Setting.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw CommandFailure(
                "\(path): \"\(unknown)\" is not a setting; known: \(known.sorted().joined(separator: ", "))")
        }
        file = (path, try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
    }

    func string(_ given: String?, _ setting: Setting) throws -> String? {
        if let given { return given }
        guard case .string(let value) = try lookup(setting, .string, expecting: "a string") else { return nil }
        return value
    }

    /// A setting the command cannot go without, `what` it names; refused, saying where it
    /// can be given, when it is set nowhere.
    func required(_ given: String?, _ setting: Setting, what: String) throws -> String {
        guard let value = try string(given, setting) else {
            throw ValidationError(
                "no \(what): pass --\(setting.rawValue), set \(setting.environmentVariable) or \"\(setting.rawValue)\" in the config file"
            )
        }
        return value
    }

    func int(_ given: Int?, _ setting: Setting) throws -> Int? {
        if let given { return given }
        guard case .int(let value) = try lookup(setting, .int, expecting: "a whole number") else { return nil }
        return value
    }

    /// A number of `unit` (0 or more), nil when not set anywhere.
    func count(_ given: Int?, _ setting: Setting, of unit: String) throws -> Int? {
        guard let value = try int(given, setting) else { return nil }
        guard value >= 0 else { throw ValidationError("\(setting.names): not a number of \(unit): \(value)") }
        return value
    }

    /// A time limit or interval in whole seconds, `default` when not set anywhere; 0 means
    /// none (nil).
    func seconds(_ given: Int?, _ setting: Setting, default: Int) throws -> Duration? {
        let seconds = try count(given, setting, of: "seconds") ?? `default`
        return seconds > 0 ? .seconds(seconds) : nil
    }

    func double(_ given: Double?, _ setting: Setting) throws -> Double? {
        if let given { return given }
        guard case .double(let value) = try lookup(setting, .double, expecting: "a number") else { return nil }
        return value
    }

    /// A flag: on if given, else as the environment (`1`, `true`, `yes`) or the file says.
    func flag(_ given: Bool, _ setting: Setting) throws -> Bool {
        if given { return true }
        guard case .bool(let value) = try lookup(setting, .bool, expecting: "true or false") else { return false }
        return value
    }

    private func lookup(_ setting: Setting, _ type: ConfigType, expecting: String) throws -> ConfigContent? {
        let key = AbsoluteConfigKey([setting.rawValue])
        do {
            if let value = try environment.value(forKey: key, type: type).value { return value.content }
        } catch {
            throw CommandFailure("\(setting.environmentVariable): not \(expecting)")
        }
        guard let file else { return nil }
        do {
            return try file.provider.value(forKey: key, type: type).value?.content
        } catch {
            throw CommandFailure("\(file.path): \"\(setting.rawValue)\" is not \(expecting)")
        }
    }
}
