import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// What SQLite said when a call failed: its extended result code and message.
struct SQLiteFailure: Error, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY_TIMEOUT`, …).
    let code: Int32
    let message: String

    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, …).
    var primary: Int32 { code & 0xff }
    var description: String { "SQLite error \(code): \(message)" }

    static let constraintUnique: Int32 = 2067
    static let constraintPrimaryKey: Int32 = 1555
    static let constraintForeignKey: Int32 = 787
    static let constraintCheck: Int32 = 275
    static let constraintNotNull: Int32 = 1299
}

/// The column names of a statement's result, shared by all its rows.
final class SQLiteColumnNames: Sendable {
    let names: [String]
    private let offsets: [String: Int]

    init(_ names: [String]) {
        self.names = names
        self.offsets = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    func offset(of name: String) -> Int? { offsets[name] }
}

/// One SQLite connection driven through SQLite's C API on the calling task, its prepared
/// statements kept for the next use.
///
/// sqlite-nio's connection prepares every statement again and runs each on a thread pool,
/// resuming the caller through a continuation: two thread wake-ups per statement, which cost
/// more than the statement (docs/decisions.md, "SQLite statements on the calling task").
/// The pool hands a connection to one caller at a time; the lock makes that a guarantee.
final class SQLiteHandle: Sendable {
    // The pointers are used only under `state`'s lock.
    private struct Prepared: @unchecked Sendable {
        let statement: OpaquePointer
        var columns: SQLiteColumnNames
        /// SQLite re-prepares a statement by itself after a schema change; the column list is
        /// read again when it has.
        var prepareCount: Int32
    }

    private struct State: @unchecked Sendable {
        var database: OpaquePointer?
        var prepared: [String: Prepared] = [:]
    }

    /// Statements kept per connection; a program's statements are far fewer, so reaching it
    /// means generated text (e.g. `IN` lists of varying length): all are dropped and start over.
    static let maxPrepared = 512

    private let state: Mutex<State>

    private init(database: OpaquePointer) {
        state = Mutex(State(database: database))
    }

    /// Opens (creating when missing) the database file at `path`.
    static func open(path: String) throws -> SQLiteHandle {
        var database: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite_nio_sqlite3_open_v2(path, &database, flags, nil)
        guard result == SQLITE_OK, let database else {
            let message = database.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open the database file"
            if let database { sqlite_nio_sqlite3_close_v2(database) }
            throw SQLiteFailure(code: result, message: message)
        }
        sqlite_nio_sqlite3_extended_result_codes(database, 1)
        return SQLiteHandle(database: database)
    }

    var isClosed: Bool { state.withLock { $0.database == nil } }

    /// Runs `sql` with `binds`, handing each row to `onRow` as it is read.
    func query(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteColumnNames, [SQLiteData]) -> Void) throws {
        try state.withLock { state in
            guard let database = state.database else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
            let cached = state.prepared[sql]
            var prepared = try cached ?? Self.prepare(sql, on: database)
            let keep = cached != nil || Self.isKept(sql)
            do {
                try Self.run(&prepared, binds, on: database, onRow)
            } catch {
                // A kept statement stays kept, ready for its next use; a new one goes.
                if cached != nil { Self.rewind(prepared.statement) } else { sqlite_nio_sqlite3_finalize(prepared.statement) }
                throw error
            }
            if keep {
                Self.rewind(prepared.statement)
                if cached == nil, state.prepared.count >= Self.maxPrepared { Self.finalizeAll(&state) }
                state.prepared[sql] = prepared
            } else {
                sqlite_nio_sqlite3_finalize(prepared.statement)
                // Column lists of kept statements may be stale: they are prepared afresh.
                if Self.changesSchema(sql) { Self.finalizeAll(&state) }
            }
        }
    }

    /// Finalizes every statement and closes the connection; later calls fail.
    func close() {
        state.withLock { state in
            guard let database = state.database else { return }
            Self.finalizeAll(&state)
            sqlite_nio_sqlite3_close_v2(database)
            state.database = nil
        }
    }

    deinit { close() }

    // MARK: - C calls

    private static func run(
        _ prepared: inout Prepared, _ binds: [SQLiteData], on database: OpaquePointer, _ onRow: (SQLiteColumnNames, [SQLiteData]) -> Void
    ) throws {
        let statement = prepared.statement
        try bind(binds, to: statement, on: database)
        var result = sqlite_nio_sqlite3_step(statement)
        // Re-prepared by SQLite after a schema change (another process migrated): the columns
        // may have changed.
        let prepares = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
        if prepares != prepared.prepareCount {
            prepared.columns = columns(of: statement)
            prepared.prepareCount = prepares
        }
        let columns = prepared.columns
        while result == SQLITE_ROW {
            onRow(columns, values(of: statement, count: columns.names.count))
            result = sqlite_nio_sqlite3_step(statement)
        }
        guard result == SQLITE_DONE else { throw failure(on: database, code: result) }
    }

    private static func rewind(_ statement: OpaquePointer) {
        sqlite_nio_sqlite3_reset(statement)
        sqlite_nio_sqlite3_clear_bindings(statement)
    }

    private static func prepare(_ sql: String, on database: OpaquePointer) throws -> Prepared {
        var statement: OpaquePointer?
        let flags = UInt32(isKept(sql) ? SQLITE_PREPARE_PERSISTENT : 0)
        let result = sqlite_nio_sqlite3_prepare_v3(database, sql, -1, flags, &statement, nil)
        guard result == SQLITE_OK, let statement else {
            if let statement { sqlite_nio_sqlite3_finalize(statement) }
            throw failure(on: database, code: result == SQLITE_OK ? SQLITE_MISUSE : result)
        }
        return Prepared(
            statement: statement, columns: columns(of: statement),
            prepareCount: sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0))
    }

    private static func columns(of statement: OpaquePointer) -> SQLiteColumnNames {
        let count = sqlite_nio_sqlite3_column_count(statement)
        return SQLiteColumnNames(
            (0..<count).map { index in sqlite_nio_sqlite3_column_name(statement, index).map { String(cString: $0) } ?? "" })
    }

    private static func bind(_ binds: [SQLiteData], to statement: OpaquePointer, on database: OpaquePointer) throws {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let integer): result = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
            case .float(let double): result = sqlite_nio_sqlite3_bind_double(statement, index, double)
            case .text(let text):
                var text = text
                result = text.withUTF8 { bytes in
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8))
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite_nio_sqlite3_bind_text64(statement, index, $0, UInt64(bytes.count), transient, UInt8(SQLITE_UTF8))
                    }
                }
            case .blob(let buffer):
                result = buffer.withUnsafeReadableBytes { bytes in
                    // A null pointer would bind NULL, not an empty blob.
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0) }
                    return sqlite_nio_sqlite3_bind_blob64(statement, index, base, UInt64(bytes.count), transient)
                }
            case .null: result = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard result == SQLITE_OK else { throw failure(on: database, code: result) }
        }
    }

    private static func values(of statement: OpaquePointer, count: Int) -> [SQLiteData] {
        var values: [SQLiteData] = []
        values.reserveCapacity(count)
        for index in 0..<Int32(count) {
            switch sqlite_nio_sqlite3_column_type(statement, index) {
            case SQLITE_INTEGER: values.append(.integer(Int(sqlite_nio_sqlite3_column_int64(statement, index))))
            case SQLITE_FLOAT: values.append(.float(sqlite_nio_sqlite3_column_double(statement, index)))
            case SQLITE_TEXT:
                // The length, not the first NUL, ends the text.
                let bytes = sqlite_nio_sqlite3_column_text(statement, index)
                let length = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
                values.append(.text(bytes.map { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""))
            case SQLITE_BLOB:
                let bytes = sqlite_nio_sqlite3_column_blob(statement, index)
                let length = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
                values.append(.blob(bytes.map { ByteBuffer(bytes: UnsafeRawBufferPointer(start: $0, count: length)) } ?? ByteBuffer()))
            default: values.append(.null)
            }
        }
        return values
    }

    private static func failure(on database: OpaquePointer, code: Int32) -> SQLiteFailure {
        let extended = sqlite_nio_sqlite3_extended_errcode(database)
        let message = sqlite_nio_sqlite3_errmsg(database).map { String(cString: $0) } ?? "unknown error"
        // The connection's last error is this call's unless the call failed before reaching it.
        return SQLiteFailure(code: extended & 0xff == code & 0xff ? extended : code, message: message)
    }

    private static func finalizeAll(_ state: inout State) {
        for prepared in state.prepared.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
        state.prepared.removeAll()
    }

    /// Statements worth keeping: everything but schema changes and settings, which run once.
    private static func isKept(_ sql: String) -> Bool {
        !changesSchema(sql) && !firstWord(of: sql, isOneOf: ["PRAGMA", "VACUUM", "ANALYZE", "ATTACH", "DETACH", "REINDEX"])
    }

    private static func changesSchema(_ sql: String) -> Bool {
        firstWord(of: sql, isOneOf: ["CREATE", "ALTER", "DROP"])
    }

    private static func firstWord(of sql: String, isOneOf words: [String]) -> Bool {
        let word = sql.utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }).prefix(while: {
            $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D
        })
        let upper = String(decoding: word, as: UTF8.self).uppercased()
        return words.contains(upper)
    }

    /// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
