import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` into the app before each build: the commit the
/// binary is built from (`git rev-parse`, "-modified" when tracked files
/// differ from it, "unknown" outside a git checkout), for `--version`. The
/// file is rewritten only when that changes, so a build with nothing new
/// compiles nothing again.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let generated = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = #"""
            repo="$1"; dir="$2"; out="$dir/BuildInfo.swift"
            commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit-modified"
            fi
            text="// Generated before each build by BuildInfoPlugin (Sources/App/BuildInfoPlugin).
            enum BuildInfo {
                /// The commit this binary was built from.
                static let commit = \"$commit\"
            }"
            mkdir -p "$dir"
            [ "$(cat "$out" 2>/dev/null)" = "$text" ] || printf '%s\n' "$text" > "$out"
            """#
        return [
            .prebuildCommand(
                displayName: "clusterdash: the commit built (BuildInfo.swift)", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, generated.path], outputFilesDirectory: generated)
        ]
    }
}
