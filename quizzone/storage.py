"""Static files in production: hashed names (cached for ever) and gzip copies, served by whitenoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

_, JS_MODULE_PATTERNS = CompressedManifestStaticFilesStorage._js_module_import_aggregation_patterns


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """`collectstatic` also rewrites the ES module imports between the site's own scripts (static/js/) to the
    hashed names, so a changed module changes the name of every script that imports it. Only there: the
    patterns are slow on big third-party scripts, and nested_admin ships sources with bare imports."""

    patterns = (*CompressedManifestStaticFilesStorage.patterns, ("js/*.js", JS_MODULE_PATTERNS))
