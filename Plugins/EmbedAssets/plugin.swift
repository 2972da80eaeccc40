import Foundation
import PackagePlugin

/// Turns the target's `Assets/` directory and the package's `VERSION` file into one Swift source
/// file (`EmbeddedAssets.swift`), so that the built binary carries its views, styles, scripts and
/// OpenAPI document and needs no resource bundle beside it. Runs at every build whose inputs changed.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // The manifest is tools version 6.0: paths come as `Path` (the URL accessors are 6.1).
        let assets = URL(fileURLWithPath: target.directory.string).appending(path: "Assets")
        let version = URL(fileURLWithPath: context.package.directory.string).appending(path: "VERSION")
        var inputs: [URL] = [version]
        if let walker = FileManager.default.enumerator(at: assets, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                inputs.append(url)
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [.buildCommand(
            displayName: "Embedding \(target.name)'s Assets and VERSION",
            executable: try context.tool(named: "EmbedAssetsTool").url,
            arguments: [assets.path, version.path, output.path],
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
