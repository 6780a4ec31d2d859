// electron-builder beforePack hook (electron-builder.yml): refuses to package for a platform or
// CPU whose sharp binaries npm did not install here. npm installs only the running machine's
// (`@img/sharp-<os>-<cpu>`), so a package built elsewhere would open no photo. The Linux app
// runs sharp's WebAssembly build, which fits every Linux CPU.
const { existsSync } = require('node:fs');
const path = require('node:path');
const { Arch } = require('builder-util');

/** The sharp packages a platform's app needs. */
function sharpPackages(platform, arch) {
  if (platform === 'linux') return ['@img/sharp-wasm32'];
  if (platform === 'win32') return [`@img/sharp-win32-${arch}`];
  return [`@img/sharp-${platform}-${arch}`, `@img/sharp-libvips-${platform}-${arch}`];
}

async function beforePack(context) {
  const platform = context.electronPlatformName;
  const arch = typeof context.arch === 'number' ? Arch[context.arch] : String(context.arch);
  const modules = path.join(context.packager.projectDir, 'node_modules');
  const missing = sharpPackages(platform, arch).filter((p) => !existsSync(path.join(modules, p, 'package.json')));
  if (missing.length > 0) {
    throw new Error(
      `cannot package for ${platform}/${arch}: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed ` +
        `(npm installs only this machine's sharp binaries). Build on ${platform}/${arch}, or first run ` +
        `npm install --no-save --os=${platform} --cpu=${arch} sharp`,
    );
  }
}

module.exports = beforePack;
module.exports.default = beforePack;
module.exports.sharpPackages = sharpPackages;
