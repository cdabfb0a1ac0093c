import Crypto
import Foundation

/// One numbered step of the schema, with the SQL to apply it and to take it back.
///
/// The SQL is plain text per engine so that its checksum pins exactly what ran: a database whose
/// recorded checksum differs from the binary's was migrated by different code and is refused.
public struct Migration: Sendable {
    public let id: Int
    public let name: String
    let upStatements: @Sendable (DatabaseEngine) -> [String]
    let downStatements: @Sendable (DatabaseEngine) -> [String]

    public init(
        id: Int,
        name: String,
        up: @escaping @Sendable (DatabaseEngine) -> [String],
        down: @escaping @Sendable (DatabaseEngine) -> [String]
    ) {
        self.id = id
        self.name = name
        self.upStatements = up
        self.downStatements = down
    }

    public func up(_ engine: DatabaseEngine) -> [String] { upStatements(engine) }
    public func down(_ engine: DatabaseEngine) -> [String] { downStatements(engine) }

    /// SHA-256 of the up and down SQL for this engine.
    public func checksum(for engine: DatabaseEngine) -> String {
        let text = (up(engine) + ["-- down --"] + down(engine)).joined(separator: ";\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public var label: String { String(format: "%04d_%@", id, name) }
}

/// Column types and clauses that differ between the engines; every migration goes through this.
public struct SchemaDialect: Sendable {
    public let engine: DatabaseEngine

    public init(_ engine: DatabaseEngine) { self.engine = engine }

    /// The columns every mutable row carries (docs/architecture.md).
    public var metadataColumns: String {
        """
        id TEXT PRIMARY KEY NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
            deleted_at TEXT,
            deleted_by TEXT,
            deletion_id TEXT
        """
    }

    public var double: String { engine == .sqlite ? "REAL" : "DOUBLE PRECISION" }
    public var boolean: String { engine == .sqlite ? "INTEGER" : "BOOLEAN" }
    public func booleanLiteral(_ value: Bool) -> String { engine == .sqlite ? (value ? "1" : "0") : (value ? "true" : "false") }
    public var bigint: String { engine == .sqlite ? "INTEGER" : "BIGINT" }
}
