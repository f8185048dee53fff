// A manifest version is a Versioned<ManifestData>; this name says which sequenced object it is.
global using VersionedManifest = SlateDb.Manifest.Versioned<SlateDb.Manifest.Proto.ManifestData>;
