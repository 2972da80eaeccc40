import Foundation
import Logging
import Vapor

/// Builds the application and runs the command line (`serve`, `migrate`, `units`, …).
public enum Entrypoint {
    public static func run() async {
        var env: Environment
        do {
            var arguments = ProcessInfo.processInfo.arguments
            // `liandong --version` (or `version`): what is installed, before anything else starts.
            if arguments.count == 2, ["--version", "version"].contains(arguments[1]) {
                FileHandle.standardOutput.write(Data("liandong \(LiandongVersion.string)\n".utf8))
                exit(0)
            }
            let format = try LogFormat.extract(from: &arguments, environment: ProcessInfo.processInfo.environment)
            env = try Environment.detect(arguments: arguments)
            // Logs go to standard error (journald under systemd) so that a command's output
            // (JSON, CSV) stays clean; as text lines, or one JSON object a line.
            try LoggingSystem.bootstrap(from: &env) { level in
                { label in
                    switch format {
                    case .text:
                        var handler = StreamLogHandler.standardError(label: label)
                        handler.logLevel = level
                        return handler
                    case .json:
                        var handler = JSONLogHandler(label: label)
                        handler.logLevel = level
                        return handler
                    }
                }
            }
        } catch {
            fail(error)
        }
        let app: Application
        do {
            app = try await Application.make(env)
        } catch {
            fail(error)
        }
        do {
            try await configure(app)
            try await app.execute()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            fail(error)
        }
    }

    private static func fail(_ error: any Error) -> Never {
        FileHandle.standardError.write(Data("错误：\(describe(error))\n".utf8))
        exit(1)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as AppError: e.message
        case let e as any AbortError: e.reason
        case _ where LiandongErrorMiddleware.isStorageFull(error): LiandongErrorMiddleware.storageFullMessage
        case let e as any CustomStringConvertible: e.description
        default: String(reflecting: error)
        }
    }
}
