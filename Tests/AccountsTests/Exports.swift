// Every file of this target tests with the shared account fixture (AccountFixture, StoreKind,
// `.dropsTestDatabases`); exported here so that a file needs no import of its own for it.
@_exported import AccountTestSupport
