import ArgumentParser

@main
struct StoryboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storyboard-bench",
        abstract: "Release-mode benchmarks; results go into BENCHMARKS.md. Build with -c release.",
        subcommands: [RepositoryBench.self, HTTPBench.self]
    )
}

enum BenchEngine: String, ExpressibleByArgument, CaseIterable {
    case sqlite, postgresql, both

    var engines: [BenchEngine] { self == .both ? [.sqlite, .postgresql] : [self] }
}
