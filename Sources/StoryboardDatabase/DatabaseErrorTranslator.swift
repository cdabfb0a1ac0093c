import Logging
import NIOCore
import PostgresNIO
import StoryboardCore
import VaporCSQLite

/// Turns whatever a driver throws into the contract's errors, in one place, so no SQL text,
/// constraint dump or driver type ever reaches a response.
enum DatabaseErrorTranslator {
    static func translate(_ error: any Error, logger: Logger) -> any Error {
        switch error {
        case let error as AppError:
            return error
        case is CancellationError:
            return error
        case let error as PoolError:
            switch error {
            case .closed:
                return AppError(.serviceUnavailable, "The server is shutting down", retryAfter: 5)
            case .acquireTimeout(let seconds):
                logger.warning("database pool exhausted", metadata: ["waited_seconds": "\(seconds)"] + requestMetadata)
                return AppError(.databaseUnavailable, "The database is busy; try again shortly", retryAfter: 2)
            }
        case let error as SQLiteFailure:
            return translate(sqlite: error, logger: logger)
        case let error as PSQLError:
            return translate(postgres: error, logger: logger)
        case is StoredDataError, is DecodingError:
            logger.error("stored data cannot be read", metadata: ["error": "\(error)"] + requestMetadata)
            return AppError(.databaseError, "A database error occurred")
        default:
            if isConnectionLost(error) {
                logger.warning("database connection lost", metadata: ["error": "\(error)"] + requestMetadata)
                return AppError.databaseUnavailable()
            }
            // Not the database's: an error of the caller's own passes through untouched.
            return error
        }
    }

    private static func translate(sqlite error: SQLiteFailure, logger: Logger) -> any Error {
        let message = error.message
        switch (error.primary, error.code) {
        case (_, SQLiteFailure.constraintUnique), (_, SQLiteFailure.constraintPrimaryKey):
            return duplicate(fields: sqliteColumns(message))
        case (_, SQLiteFailure.constraintForeignKey):
            return AppError(.conflict, "The change refers to a row that does not exist, or is still referred to")
        case (_, SQLiteFailure.constraintCheck), (_, SQLiteFailure.constraintNotNull):
            return invalidValue(logger: logger, detail: message)
        case (SQLITE_CONSTRAINT, _) where message.contains("UNIQUE constraint failed"):
            return duplicate(fields: sqliteColumns(message))
        case (SQLITE_CONSTRAINT, _) where message.contains("FOREIGN KEY constraint failed"):
            return AppError(.conflict, "The change refers to a row that does not exist, or is still referred to")
        case (SQLITE_CONSTRAINT, _) where message.contains("CHECK constraint failed") || message.contains("NOT NULL constraint failed"):
            return invalidValue(logger: logger, detail: message)
        case (SQLITE_BUSY, _), (SQLITE_LOCKED, _):
            logger.warning("sqlite busy", metadata: ["error": "\(message)"] + requestMetadata)
            return AppError(.databaseUnavailable, "The database is busy; try again shortly", retryAfter: 1)
        case (SQLITE_FULL, _):
            logger.error("sqlite disk full", metadata: requestMetadata)
            return AppError(.insufficientStorage, "The disk holding the database is full")
        case (SQLITE_CANTOPEN, _), (SQLITE_IOERR, _), (SQLITE_NOTADB, _), (SQLITE_CORRUPT, _):
            logger.error("sqlite unavailable", metadata: ["error": "\(message)", "code": "\(error.code)"] + requestMetadata)
            return AppError.databaseUnavailable()
        default:
            logger.error("sqlite error", metadata: ["error": "\(message)", "code": "\(error.code)"] + requestMetadata)
            return AppError(.databaseError, "A database error occurred")
        }
    }

    private static func translate(postgres error: PSQLError, logger: Logger) -> any Error {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            if isConnectionLost(error) {
                logger.warning("postgresql connection lost", metadata: ["code": "\(error.code)"] + requestMetadata)
                return AppError.databaseUnavailable()
            }
            logger.error("postgresql client error", metadata: ["code": "\(error.code)"] + requestMetadata)
            return AppError(.databaseError, "A database error occurred")
        }
        let serverMessage = error.serverInfo?[.message] ?? ""
        switch state {
        case "23505":
            return duplicate(fields: postgresKeyColumns(error.serverInfo?[.detail]))
        case "23503":
            return AppError(.conflict, "The change refers to a row that does not exist, or is still referred to")
        case "23514", "23502", "22021", "22001", "22003", "22P02":
            return invalidValue(logger: logger, detail: "\(state) \(serverMessage)")
        case "40001", "40P01", "55P03":
            return AppError(.conflict, "The change collided with a concurrent one; try again")
        case "57014":
            logger.warning("postgresql statement timeout", metadata: requestMetadata)
            return AppError(.databaseUnavailable, "The database took too long to answer", retryAfter: 2)
        case "53100":
            return AppError(.insufficientStorage, "The disk holding the database is full")
        case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300":
            logger.warning("postgresql unavailable", metadata: ["sqlstate": "\(state)", "message": "\(serverMessage)"] + requestMetadata)
            return AppError.databaseUnavailable()
        default:
            logger.error("postgresql error", metadata: ["sqlstate": "\(state)", "message": "\(serverMessage)"] + requestMetadata)
            return AppError(.databaseError, "A database error occurred")
        }
    }

    /// A value the schema refuses (a CHECK, NOT NULL, bad encoding, out of range) that got
    /// past validation: the client's input, so 400, with the detail only in the log.
    private static func invalidValue(logger: Logger, detail: String) -> AppError {
        logger.warning("a value was refused by the schema", metadata: ["detail": "\(detail)"] + requestMetadata)
        return AppError(.validationError, "A value is outside what this field accepts")
    }

    /// A short, password-free account of a connection failure, for the start-up line.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        case let error as SQLiteFailure:
            return error.message
        case let error as AppError:
            return error.message
        default:
            return "\(error)"
        }
    }

    /// Errors after which the connection cannot be used again.
    static func isConnectionLost(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .messageDecodingFailure, .unexpectedBackendMessage:
                return true
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P")
            default:
                return false
            }
        case is PoolError:
            return false
        case is PoisonedConnection, is IOError, is ChannelError, is NIOConnectionError:
            return true
        default:
            return false
        }
    }

    private static func duplicate(fields: [String]) -> AppError {
        let subject =
            fields.isEmpty ? "A resource with the same unique value" : "A resource with the same \(fields.joined(separator: ", "))"
        return AppError(
            .duplicateResource, "\(subject) already exists",
            details: fields.isEmpty ? nil : ["fields": .array(fields.map { .string($0) })]
        )
    }

    /// `UNIQUE constraint failed: widgets.name, widgets.kind` → `["name", "kind"]`.
    private static func sqliteColumns(_ message: String) -> [String] {
        guard let colon = message.range(of: "failed: ") else { return [] }
        return message[colon.upperBound...].split(separator: ",").compactMap {
            $0.split(separator: ".").last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    /// `Key (name, kind)=(a, b) already exists.` → `["name", "kind"]`.
    private static func postgresKeyColumns(_ detail: String?) -> [String] {
        guard let detail, let open = detail.range(of: "Key ("), let close = detail.range(of: ")=", range: open.upperBound..<detail.endIndex)
        else { return [] }
        return detail[open.upperBound..<close.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static var requestMetadata: Logger.Metadata {
        RequestIdentity.current.map { ["request_id": "\($0)"] } ?? [:]
    }
}

extension Logger.Metadata {
    fileprivate static func + (lhs: Logger.Metadata, rhs: Logger.Metadata) -> Logger.Metadata {
        lhs.merging(rhs) { first, _ in first }
    }
}
