import Foundation
import NIOCore
import SQLiteNIO
import Testing

@testable import StoryboardDatabase

/// The SQLite connection the server runs every statement through: kept statements, values
/// in and out, errors, and another process changing the schema under a kept statement.
@Suite("SQLite connection")
struct SQLiteHandleTests {
    private func withFile(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder.appendingPathComponent("test.sqlite").path)
    }

    private func rows(_ handle: SQLiteHandle, _ sql: String, _ binds: [SQLiteData] = []) throws -> [[String: SQLiteData]] {
        var rows: [[String: SQLiteData]] = []
        try handle.query(sql, binds) { columns, values in
            rows.append(Dictionary(uniqueKeysWithValues: zip(columns.names, values)))
        }
        return rows
    }

    @Test("a kept statement runs again with new binds; every kind of value round-trips, NULs and empties included")
    func values() throws {
        try withFile { path in
            let handle = try SQLiteHandle.open(path: path)
            defer { handle.close() }
            _ = try rows(handle, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)")
            let insert = "INSERT INTO t (id, name, score, data) VALUES (?1, ?2, ?3, ?4)"
            _ = try rows(handle, insert, [.integer(1), .text("a\u{0}b — é"), .float(1.5), .blob(ByteBuffer(bytes: [0, 1, 2]))])
            _ = try rows(handle, insert, [.integer(2), .text(""), .null, .blob(ByteBuffer())])
            _ = try rows(handle, insert, [.integer(3), .null, .integer(7), .null])
            let select = "SELECT id, name, score, data FROM t WHERE id = ?1"
            let first = try #require(try rows(handle, select, [.integer(1)]).first)
            #expect(first["name"] == .text("a\u{0}b — é"), "the length, not a NUL, ends the text")
            #expect(first["score"] == .float(1.5))
            #expect(first["data"] == .blob(ByteBuffer(bytes: [0, 1, 2])))
            let second = try #require(try rows(handle, select, [.integer(2)]).first)
            #expect(second["name"] == .text(""))
            #expect(second["score"] == .null)
            #expect(second["data"] == .blob(ByteBuffer()), "an empty blob stays a blob, not NULL")
            let third = try #require(try rows(handle, select, [.integer(3)]).first)
            #expect(third["name"] == .null)
            #expect(third["score"] == .float(7), "REAL affinity")
            #expect(third["data"] == .null)
            #expect(try rows(handle, select, [.integer(4)]).isEmpty)
            #expect(try rows(handle, "SELECT count(*) AS n FROM t").first?["n"] == .integer(3))
        }
    }

    @Test("a failing statement reports SQLite's extended code and message, and its kept form still works afterwards")
    func failures() throws {
        try withFile { path in
            let handle = try SQLiteHandle.open(path: path)
            defer { handle.close() }
            _ = try rows(handle, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
            let insert = "INSERT INTO t (id, name) VALUES (?1, ?2)"
            _ = try rows(handle, insert, [.integer(1), .text("a")])
            let duplicate = #expect(throws: SQLiteFailure.self) { _ = try rows(handle, insert, [.integer(2), .text("a")]) }
            #expect(duplicate?.code == SQLiteFailure.constraintUnique, "\(String(describing: duplicate))")
            #expect(duplicate?.message.contains("UNIQUE constraint failed: t.name") == true)
            let missing = #expect(throws: SQLiteFailure.self) { _ = try rows(handle, insert, [.integer(3), .null]) }
            #expect(missing?.code == SQLiteFailure.constraintNotNull)
            let syntax = #expect(throws: SQLiteFailure.self) { _ = try rows(handle, "SELEC nothing") }
            #expect(syntax?.message.contains("syntax error") == true)
            _ = try rows(handle, insert, [.integer(2), .text("b")])
            #expect(try rows(handle, "SELECT name FROM t ORDER BY id").map { $0["name"] } == [.text("a"), .text("b")])
            handle.close()
            #expect(handle.isClosed)
            #expect(throws: SQLiteFailure.self) { _ = try rows(handle, "SELECT 1") }
        }
    }

    @Test("a kept SELECT * sees columns added by this connection and by another one (another process migrating)")
    func schemaChanges() throws {
        try withFile { path in
            let handle = try SQLiteHandle.open(path: path)
            let other = try SQLiteHandle.open(path: path)
            defer {
                handle.close()
                other.close()
            }
            _ = try rows(handle, "PRAGMA journal_mode = WAL")
            _ = try rows(handle, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
            _ = try rows(handle, "INSERT INTO t (id) VALUES (1)")
            let select = "SELECT * FROM t"
            #expect(try rows(handle, select).first.map { Set($0.keys) } == ["id"])
            _ = try rows(handle, "ALTER TABLE t ADD COLUMN name TEXT DEFAULT 'x'")
            #expect(try rows(handle, select).first.map { Set($0.keys) } == ["id", "name"])
            _ = try rows(other, "ALTER TABLE t ADD COLUMN size INTEGER DEFAULT 3")
            let row = try #require(try rows(handle, select).first)
            #expect(Set(row.keys) == ["id", "name", "size"])
            #expect(row["size"] == .integer(3))
        }
    }

    @Test("more distinct statements than are kept: all keep answering right")
    func manyStatements() throws {
        try withFile { path in
            let handle = try SQLiteHandle.open(path: path)
            defer { handle.close() }
            for round in 0..<2 {
                for value in 0..<(SQLiteHandle.maxPrepared + 50) {
                    let row = try #require(try rows(handle, "SELECT \(value) + ?1 AS v", [.integer(round)]).first)
                    #expect(row["v"] == .integer(value + round))
                }
            }
        }
    }
}
