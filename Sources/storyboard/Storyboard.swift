import ArgumentParser

@main
struct Storyboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storyboard",
        abstract: "Plan AI-generated music videos: the Storyboard server and its tools.",
        subcommands: [Serve.self, Migrate.self, Doctor.self]
    )
}
