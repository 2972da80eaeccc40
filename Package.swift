// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Liandong",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "liandong", targets: ["liandong"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", exact: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", exact: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", exact: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", exact: "2.14.0"),
        // Already resolved through the SQLite driver; named here because the project's own SQLite
        // writer links the SQLite library it vendors (see `LiandongSQLite`).
        .package(url: "https://github.com/vapor/sqlite-nio.git", exact: "1.13.2"),
        // Named for FluentSQL's query and schema converters, which the SQLite writer runs Fluent's
        // models through; resolved through Fluent.
        .package(url: "https://github.com/vapor/fluent-kit.git", exact: "1.57.0"),
        // Named for `PostgresConnection.copyFrom` (bulk writes by COPY); resolved through the driver.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/vapor/leaf.git", exact: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit.git", exact: "1.14.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", exact: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        // The mechanism as pure Swift: no Vapor, no Fluent.
        .target(name: "LiandongCore"),
        // The system's zlib: ZIP parts are inflated by the project's own bounded reader.
        .systemLibrary(name: "LiandongZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SQLite's C interface for the project's own writer, declared against the one SQLite in the
        // process: the library SQLiteNIO vendors and links (never a second copy).
        .target(name: "LiandongSQLite", dependencies: [.product(name: "SQLiteNIO", package: "sqlite-nio")]),
        // CSV, XLSX and DOCX readers and writers.
        .target(
            name: "LiandongDocuments",
            dependencies: ["LiandongZlib", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(
            name: "LiandongServer",
            dependencies: [
                "LiandongCore",
                "LiandongDocuments",
                "LiandongSQLite",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "FluentSQL", package: "fluent-kit"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // Views, styles, scripts and the OpenAPI document are compiled into the binary (the
            // EmbedAssets plugin turns Assets/ and VERSION into Swift source at every build), so a
            // release is one file that runs from any directory without the build tree.
            exclude: ["Assets"],
            plugins: ["EmbedAssets"]
        ),
        .executableTarget(name: "EmbedAssetsTool", path: "Plugins/EmbedAssetsTool"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["EmbedAssetsTool"]),
        .executableTarget(name: "liandong", dependencies: ["LiandongServer"]),
        .testTarget(name: "LiandongCoreTests", dependencies: ["LiandongCore"]),
        .testTarget(
            name: "LiandongDocumentsTests",
            dependencies: ["LiandongDocuments", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(
            name: "LiandongServerTests",
            dependencies: [
                "LiandongServer",
                "LiandongSQLite",
                .product(name: "VaporTesting", package: "vapor"),
            ]
        ),
    ]
)
