#!/usr/bin/env node
// Derives runtime/evm/artifacts/ — the bytecode the EVM engine deploys —
// from the pinned npm packages in node_modules (see package-lock.json), and
// compiles the project's own contracts (contracts/*.sol) with the pinned
// solc. `node artifacts.js` writes the files; `node artifacts.js --check`
// derives them again in memory and fails, naming each file, unless every
// committed file is byte for byte what the packages and the compiler give.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const here = __dirname;
const out = path.join(here, 'artifacts');
const modules = path.join(here, 'node_modules');

// Every package artifact the deployment uses: [name, package, path inside it].
const AAVE = 'artifacts/contracts/';
const PACKAGE_ARTIFACTS = [
  ['UniswapV2Factory', '@uniswap/v2-core', 'build/UniswapV2Factory.json'],
  ['UniswapV2Router02', '@uniswap/v2-periphery', 'build/UniswapV2Router02.json'],
  ['WETH9', '@uniswap/v2-periphery', 'build/WETH9.json'],
  ['PoolAddressesProvider', '@aave/core-v3', AAVE + 'protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json'],
  ['ACLManager', '@aave/core-v3', AAVE + 'protocol/configuration/ACLManager.sol/ACLManager.json'],
  ['Pool', '@aave/core-v3', AAVE + 'protocol/pool/Pool.sol/Pool.json'],
  ['PoolConfigurator', '@aave/core-v3', AAVE + 'protocol/pool/PoolConfigurator.sol/PoolConfigurator.json'],
  ['BorrowLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json'],
  ['BridgeLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json'],
  ['EModeLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/EModeLogic.sol/EModeLogic.json'],
  ['FlashLoanLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json'],
  ['LiquidationLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json'],
  ['PoolLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/PoolLogic.sol/PoolLogic.json'],
  ['SupplyLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json'],
  ['ConfiguratorLogic', '@aave/core-v3', AAVE + 'protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json'],
  ['AToken', '@aave/core-v3', AAVE + 'protocol/tokenization/AToken.sol/AToken.json'],
  ['StableDebtToken', '@aave/core-v3', AAVE + 'protocol/tokenization/StableDebtToken.sol/StableDebtToken.json'],
  ['VariableDebtToken', '@aave/core-v3', AAVE + 'protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json'],
  ['DefaultReserveInterestRateStrategy', '@aave/core-v3', AAVE + 'protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json'],
  ['ZeroReserveInterestRateStrategy', '@aave/core-v3', AAVE + 'misc/ZeroReserveInterestRateStrategy.sol/ZeroReserveInterestRateStrategy.json'],
  ['AaveOracle', '@aave/core-v3', AAVE + 'misc/AaveOracle.sol/AaveOracle.json'],
  ['MockAggregator', '@aave/core-v3', AAVE + 'mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json'],
  ['MintableERC20', '@aave/core-v3', AAVE + 'mocks/tokens/MintableERC20.sol/MintableERC20.json'],
];

// The project's own contracts and how they are compiled.
const OWN_CONTRACTS = ['MeshExecutor', 'MeshBridge'];
const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function fail(message) {
  process.stderr.write(`artifacts.js: ${message}\n`);
  process.exit(1);
}

function requireInstalled() {
  if (!fs.existsSync(modules)) {
    fail(`${modules} is missing: run runtime/evm/install.sh first`);
  }
}

function packageVersion(pkg) {
  const manifest = path.join(modules, pkg, 'package.json');
  return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

function hex(code) {
  const body = code.startsWith('0x') ? code.slice(2) : code;
  if (!/^[0-9a-fA-F_$A-Za-z]*$/.test(body)) fail('unexpected bytecode text');
  return '0x' + body;
}

function json(value) {
  return JSON.stringify(value, null, 1) + '\n';
}

// The file name → contents that the artifacts directory must hold.
function derive() {
  const files = new Map();
  for (const [name, pkg, rel] of PACKAGE_ARTIFACTS) {
    const source = path.join(modules, pkg, rel);
    if (!fs.existsSync(source)) fail(`${pkg}/${rel} is missing from node_modules`);
    const raw = fs.readFileSync(source);
    const artifact = JSON.parse(raw.toString('utf8'));
    // Hardhat artifacts carry `bytecode` as a string; Waffle's carry the
    // same at `bytecode` and at `evm.bytecode.object`.
    const bytecode = typeof artifact.bytecode === 'string' ? artifact.bytecode : artifact.evm.bytecode.object;
    const linkReferences = artifact.linkReferences || (artifact.evm && artifact.evm.bytecode.linkReferences) || {};
    files.set(`${name}.json`, json({
      name,
      package: pkg,
      version: packageVersion(pkg),
      path: rel,
      source_sha256: sha256(raw),
      bytecode: hex(bytecode),
      linkReferences,
    }));
  }

  const solc = require(path.join(modules, 'solc'));
  const sources = {};
  for (const name of OWN_CONTRACTS) {
    const rel = `contracts/${name}.sol`;
    sources[rel] = { content: fs.readFileSync(path.join(here, rel), 'utf8') };
  }
  const input = { language: 'Solidity', sources, settings: SOLC_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) fail(errors.map((e) => e.formattedMessage).join('\n'));
  const warnings = (output.errors || []).filter((e) => e.severity !== 'error');
  if (warnings.length > 0) fail('the contracts must compile without warnings:\n' + warnings.map((e) => e.formattedMessage).join('\n'));
  for (const name of OWN_CONTRACTS) {
    const rel = `contracts/${name}.sol`;
    const contract = output.contracts[rel][name];
    files.set(`${name}.json`, json({
      name,
      compiler: `solc ${solc.version()}`,
      settings: { optimizer: SOLC_SETTINGS.optimizer, evmVersion: SOLC_SETTINGS.evmVersion },
      path: `runtime/evm/${rel}`,
      source_sha256: sha256(sources[rel].content),
      abi: contract.abi,
      bytecode: hex(contract.evm.bytecode.object),
      deployedBytecode: hex(contract.evm.deployedBytecode.object),
      linkReferences: {},
    }));
  }

  const names = [...files.keys()].sort();
  const sums = names.map((n) => `${sha256(files.get(n))}  ${n}\n`).join('');
  files.set('SHA256SUMS', sums);
  return files;
}

function main() {
  requireInstalled();
  const check = process.argv.includes('--check');
  const files = derive();
  if (check) {
    const problems = [];
    for (const [name, contents] of files) {
      const target = path.join(out, name);
      if (!fs.existsSync(target)) problems.push(`${name}: missing`);
      else if (fs.readFileSync(target, 'utf8') !== contents) problems.push(`${name}: differs from what the pinned packages and solc give`);
    }
    const present = fs.existsSync(out) ? fs.readdirSync(out) : [];
    for (const name of present) if (!files.has(name)) problems.push(`${name}: not derived from anything`);
    if (problems.length > 0) fail('runtime/evm/artifacts is stale (run node runtime/evm/artifacts.js):\n  ' + problems.join('\n  '));
    process.stdout.write(`artifacts: ${files.size} files match the pinned packages and solc\n`);
    return;
  }
  fs.mkdirSync(out, { recursive: true });
  for (const [name, contents] of files) fs.writeFileSync(path.join(out, name), contents);
  process.stdout.write(`artifacts: wrote ${files.size} files to ${out}\n`);
}

main();
