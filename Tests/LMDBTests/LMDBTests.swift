import CLMDB
import Foundation
import TestSupport
import Testing

@testable import LMDB

/// The LMDB wrapper: what is committed is read back, what is aborted is not, and a failure
/// names the file and the operation.
@Suite struct LMDBTests {
    let directory = try! TemporaryDirectory()

    func environment(_ name: String = "data.lmdb", flags: Environment.Flags = [.noSubdirectory]) throws -> Environment {
        try Environment(path: directory.file(name), flags: flags, mapSize: 16 << 20)
    }

    func string(_ value: UnsafeRawBufferPointer?) -> String? {
        value.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aCommittedValueIsReadBackInALaterTransaction() throws {
        let environment = try environment()
        let write = try environment.writeTransaction()
        let database = try write.database(named: "things", create: true)
        try write.put(Array("one".utf8), forKey: "a", in: database)
        try write.commit()

        let read = try environment.readTransaction()
        #expect(string(try read.value(forKey: "a", in: try read.database(named: "things"))) == "one")
    }

    @Test func anAbortedTransactionLeavesNothing() throws {
        let environment = try environment()
        let setup = try environment.writeTransaction()
        _ = try setup.database(named: "things", create: true)
        try setup.commit()
        let write = try environment.writeTransaction()
        try write.put(Array("one".utf8), forKey: "a", in: try write.database(named: "things"))
        write.abort()

        let read = try environment.readTransaction()
        #expect(try read.value(forKey: "a", in: try read.database(named: "things")) == nil)
    }

    @Test func aRemovedKeyIsGone() throws {
        let environment = try environment()
        let write = try environment.writeTransaction()
        let database = try write.database(named: "things", create: true)
        try write.put(Array("one".utf8), forKey: "a", in: database)
        try write.removeValue(forKey: "a", in: database)
        #expect(try write.value(forKey: "a", in: database) == nil)
    }

    @Test func keysAreVisitedInOrder() throws {
        let environment = try environment()
        let write = try environment.writeTransaction()
        let database = try write.database(named: "things", create: true)
        for key in ["c", "a", "b"] { try write.put(Array(key.utf8), forKey: key, in: database) }
        var keys: [String] = []
        try write.forEach(in: database) { key, _ in keys.append(String(decoding: key, as: UTF8.self)) }
        #expect(keys == ["a", "b", "c"])
    }

    @Test func aMissingNamedDatabaseIsNotFound() throws {
        let environment = try environment()
        let read = try environment.readTransaction()
        let error = #expect(throws: LMDBError.self) { try read.database(named: "absent") }
        #expect(error?.isNotFound == true)
    }

    @Test func aFileThatIsNotLMDBIsRefusedAsCorruptNamingIt() throws {
        let path = try directory.write("not.lmdb", String(repeating: "not an LMDB file\n", count: 1000))
        let error = #expect(throws: LMDBError.self) {
            try Environment(path: path, flags: [.noSubdirectory, .readOnly])
        }
        #expect(error?.isCorruption == true)
        #expect(error?.description.contains(path) == true)
    }

    /// A durable commit runs with MDB_NOSYNC lifted (LMDB syncs the pages before the meta
    /// page that names them), and the environment is back to unsynced commits afterwards.
    @Test func aDurableCommitLiftsNoSyncForItsDurationOnly() throws {
        let environment = try environment(flags: [.noSubdirectory, .noSync])
        func noSync() -> Bool {
            var flags: UInt32 = 0
            return mdb_env_get_flags(environment.handle, &flags) == 0 && flags & UInt32(MDB_NOSYNC) != 0
        }
        let write = try environment.writeTransaction()
        try write.put(Array("one".utf8), forKey: "a", in: try write.database(named: "things", create: true))
        var during: Bool?
        try environment.withDurableCommits {
            during = noSync()
            try write.commit()
        }
        #expect(during == false)
        #expect(noSync())
        let read = try environment.readTransaction()
        #expect(string(try read.value(forKey: "a", in: try read.database(named: "things"))) == "one")
    }
}
