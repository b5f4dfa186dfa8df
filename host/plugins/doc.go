// Package plugins turns kapi's plugin configuration into running plugins: it decodes the
// PluginConfiguration file (apiVersion kapi.dev/v1alpha1), combines it with the flags, loads each
// entry by its source (a built-in from the plugins registry, a Wasm module through host/wasm, an
// executable through host/process), wraps each in its failure policy, assembles the chains the
// server calls (host/authn's and host/authz's unions, host/admission's chain), and hot-reloads the
// plugin directory and the configuration file.
//
// It imports host/pluginapi, host/wasm, host/process, host/health, host/authn, host/authz,
// host/admission, the built-in registry and abi; it never imports host/server (the server imports
// it).
//
// # The plugin directory
//
// Every Wasm or process plugin is a folder <plugin-dir>/<name>/ holding manifest.yaml and the file
// the manifest's entry names. The manifest says the kind (Authenticator, Authorizer,
// MutatingAdmission or ValidatingAdmission) and the mode (wasm or process).
//
// # How the flags and the file combine
//
// Each of the three lists (authenticators, authorizers, admission) is taken from the file when the
// file is given and states that list (non-empty); otherwise from the flags, as before:
//
//   - authenticators: x509 when --client-ca-file is set, then tokenfile when --token-auth-file is
//     set (its CSV becomes the built-in's config);
//   - authorizers: --authorization-mode, in order;
//   - admission: --enable-admission-plugins, in order.
//
// A name in --authorization-mode or --enable-admission-plugins is a built-in when the registry has
// it (AlwaysAllow, NamespaceLifecycle, ...), otherwise a folder of the plugin directory, whose
// manifest gives its mode. So the file wins when given, section by section, as kube-apiserver's
// --authorization-config wins over --authorization-mode; flags alone keep working unchanged.
//
// # Hot reload
//
// Each Wasm or process plugin sits behind a handle whose current version is an atomic pointer with
// a count of calls in flight. Watch polls the plugin directory (sizes and modification times of
// each folder's manifest and entry; a change must be seen unchanged on two polls in a row, so a
// file being copied is not loaded half-written). A changed plugin is loaded and provisioned beside
// the old version, then swapped in; the old version is closed once its calls in flight end. No
// request is dropped or failed by a swap.
//
// A broken new version (bad manifest, compile failure, Provision error, unknown ABI major, a kind
// that differs from the running one) leaves the old version serving, and says why three ways: an
// error log line, kapi_plugin_reload_failures_total{plugin}, and the readyz check "plugin-reload".
// That check is informational: it shows `[-]plugin-reload failed: plugin "x": ...` in
// /readyz?verbose and at /readyz/plugin-reload, but does not make the server unready, since the
// old version still serves. A later successful reload of that plugin clears it.
//
// A plugin folder added to the directory but named nowhere in the configuration is not loaded:
// the configuration is what says which plugins run and in which order.
//
// # Configuration reload
//
// The --plugin-config file is watched too, by the same polls and the same rule (its bytes must be
// seen unchanged on two polls in a row). A changed file is decoded strictly, validated, and
// combined with the flags as at start-up; every entry of the new configuration is loaded, except
// that an entry identical to a running one (same list, name, source, config and failure policy)
// keeps its running plugin, so an unchanged Wasm module or process is not restarted. Then the new
// authenticator union, authorizer union and admission chain are swapped in together, atomically.
// A call runs on the configuration current when it started (a write's mutating and validating
// phases are two calls, as kube's webhook admission reads its configuration per phase); plugins
// the new configuration dropped are closed once the calls of the old configuration end. No
// request is dropped or failed by the swap.
//
// A bad file, or a good one with any plugin that fails to load (missing or broken folder, a kind
// that does not fit its list, a config the plugin refuses), changes nothing: the whole old
// configuration keeps serving, and says why the same three ways, as kube-apiserver does with an
// --authorization-config that fails to reload: an error log line, kapi_plugin_config_reloads_total
// {status="failure"} (status="success" counts the applied ones), and the readyz check
// "plugin-reload" (`plugin configuration <file>: admission[1] (name): ...`). It is not retried
// every poll; it is retried when the file changes, or when a plugin folder the file names changes:
// so a configuration that names a folder not yet deployed is applied once the folder appears,
// whichever of the two an operator copies first. A folder of the running configuration that
// disappears leaves its plugin serving (a reload of that plugin fails and says so, as above); only
// removing the entry from the file unloads a plugin.
//
// Only the file reloads. The flags stay what start-up used: --authorization-mode,
// --enable-admission-plugins, --client-ca-file, --token-auth-file (its contents as read at start),
// --anonymous-auth and --plugin-dir; a list the new file leaves out is still taken from them. At
// start-up a bad file, or one with a plugin that fails to load, stops the server, as before.
package plugins
