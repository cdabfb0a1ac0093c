import Foundation
import SQLKit
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport

/// A table made only for the base-repository suite: a unique name among live rows, a sort
/// column, and a child table with a foreign key, so every generic behaviour can be checked.
struct Widget: Record, Equatable {
    static let table = "test_widgets"
    static let resource = ResourceKind.resource
    static let columns = ["name", "kind", "rank"]
    static let sortableColumns: [String: SortKind] = ["name": .text, "rank": .number]

    var meta = RecordMetadata()
    var name: String
    var kind: String?
    var rank: Int

    init(name: String, kind: String? = nil, rank: Int = 0) {
        self.name = name
        self.kind = kind
        self.rank = rank
    }

    var values: [DatabaseValue] { [.text(name), DatabaseValue(kind), .integer(rank)] }

    init(meta: RecordMetadata, row: any SQLRow) throws {
        self.meta = meta
        name = try row.decode(column: "name", as: String.self)
        kind = try row.optional("kind", as: String.self)
        rank = try row.decode(column: "rank", as: Int.self)
    }
}

struct WidgetPart: Record, Equatable {
    static let table = "test_widget_parts"
    static let resource = ResourceKind.resource
    static let columns = ["widget_id", "label"]
    static let sortableColumns: [String: SortKind] = [:]

    var meta = RecordMetadata()
    var widgetID: UUID
    var label: String

    init(widgetID: UUID, label: String) {
        self.widgetID = widgetID
        self.label = label
    }

    var values: [DatabaseValue] { [DatabaseValue(widgetID), .text(label)] }

    init(meta: RecordMetadata, row: any SQLRow) throws {
        self.meta = meta
        widgetID = try row.uuid("widget_id")
        label = try row.decode(column: "label", as: String.self)
    }
}

extension Migration {
    static let testWidgets = Migration(
        id: 9001,
        name: "test_widgets",
        up: { engine in
            let dialect = SchemaDialect(engine)
            return [
                "CREATE TABLE test_widgets (\(dialect.metadataColumns), name TEXT NOT NULL, kind TEXT, rank INTEGER NOT NULL DEFAULT 0)",
                "CREATE UNIQUE INDEX test_widgets_live_name ON test_widgets (name) WHERE deleted_at IS NULL",
                "CREATE INDEX test_widgets_created ON test_widgets (created_at, id)",
                """
                CREATE TABLE test_widget_parts (\(dialect.metadataColumns),
                    widget_id TEXT NOT NULL REFERENCES test_widgets (id), label TEXT NOT NULL)
                """,
            ]
        },
        down: { _ in ["DROP TABLE test_widget_parts", "DROP TABLE test_widgets"] }
    )

    /// Fails half-way: its first statement succeeds, its second cannot.
    static let failing = Migration(
        id: 9002,
        name: "failing",
        up: { _ in ["CREATE TABLE half_done (id TEXT PRIMARY KEY)", "CREATE TABLE test_widgets (id TEXT)"] },
        down: { _ in ["DROP TABLE half_done"] }
    )
}

/// A fresh database with the binary's migrations plus the widget tables.
func withWidgetDatabase<T>(_ engine: TestEngine, _ body: (TestDatabase) async throws -> T) async throws -> T {
    try await withTestDatabase(engine, migrated: false) { testDatabase in
        try await Migrator(database: testDatabase.database, migrations: Migration.all + [.testWidgets], logger: .init(label: "test")).up()
        return try await body(testDatabase)
    }
}

extension SQLExecutor {
    var widgets: BaseRepository<Widget> { BaseRepository(self) }
    var widgetParts: BaseRepository<WidgetPart> { BaseRepository(self) }
}

/// The error a call threw, as the contract's error (the repository must never throw anything else).
func appError(_ body: () async throws -> Void) async -> AppError? {
    do {
        try await body()
        return nil
    } catch let error as AppError {
        return error
    } catch {
        return AppError(.internalServerError, "not an AppError: \(error)")
    }
}
