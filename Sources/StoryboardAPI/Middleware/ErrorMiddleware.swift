import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StoryboardCore

/// The outermost layer of every request: gives it an id, runs it with that id in the task
/// (so repository logs carry it), and turns every error from every layer into the envelope.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.acceptableID(request.headers[.xRequestID]) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = "\(requestID)"
        var response: Response
        do {
            response = try await RequestIdentity.$current.withValue(requestID) {
                try await next(request, context)
            }
        } catch {
            let appError = translate(error, request: request, context: context)
            if appError.status >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: [
                        "code": "\(appError.code.rawValue)", "method": "\(request.method)", "path": "\(request.uri.path)",
                        "error": "\(error)",
                    ]
                )
            }
            var headers: HTTPFields = [:]
            if appError.code == .methodNotAllowed {
                headers[.allow] = routes.allowedMethods(for: request.uri.path).map(\.rawValue).joined(separator: ", ")
            }
            response = appError.response(requestID: requestID, extraHeaders: headers)
        }
        response.headers[.xRequestID] = requestID
        return response
    }

    /// Maps what the framework and Foundation throw onto the contract's codes.
    private func translate(_ error: any Error, request: Request, context: Context) -> AppError {
        switch error {
        case let error as AppError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound where context.coreContext.endpointPath.value == "NotFound" || context.coreContext.endpointPath.value == nil:
                if !routes.allowedMethods(for: request.uri.path).isEmpty {
                    return AppError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path)")
                }
                return AppError(.resourceNotFound, "No route for \(request.method.rawValue) \(request.uri.path)")
            case .contentTooLarge:
                return AppError(.fileTooLarge, "The request body is larger than this route accepts")
            case .unsupportedMediaType:
                return AppError(.unsupportedMediaType, error.body ?? "Unsupported content type")
            case .badRequest:
                return AppError(.invalidParameter, error.body ?? "Bad request")
            default:
                let code = ErrorCode.allCases.first { $0.status == Int(error.status.code) } ?? .internalServerError
                return AppError(code, error.body ?? error.status.reasonPhrase)
            }
        case is CancellationError:
            return AppError(.serviceUnavailable, "The request was cancelled")
        default:
            return AppError.internalError()
        }
    }

    /// An incoming id is echoed only if it is short and harmless in a log line.
    static func acceptableID(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95 || byte == 46
                    || byte == 58
            })
        else { return nil }
        return value
    }
}

// Constant names that are valid header tokens; the initializer fails only for invalid ones.
extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let crossOriginResourcePolicy = Self("Cross-Origin-Resource-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
