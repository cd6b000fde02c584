// Runs the real vim, headless, with editors/vim on its runtimepath.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { EDITORS } = require('./textmate');

const VIM_DIR = path.join(EDITORS, 'vim');

function vimAvailable() {
  try {
    execFileSync('vim', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens `file` in vim with filetype detection and syntax on, runs the ex `commands`, and returns
 * what they wrote to the file named by `g:out`.
 */
function runVim(file, commands) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemac-vim-'));
  const out = path.join(dir, 'out.txt');
  try {
    const args = [
      '-N', '-u', 'NONE', '-i', 'NONE', '-n', '-es',
      '--cmd', `set rtp^=${VIM_DIR}`,
      '-c', 'filetype plugin on',
      '-c', 'syntax on',
      '-c', `let g:out = '${out}'`,
      '-c', `edit ${file.replace(/ /g, '\\ ')}`,
      ...commands.flatMap((c) => ['-c', c]),
      '-c', 'qa!',
    ];
    execFileSync('vim', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
    return fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The syntax-group dump of `file` (see vim-dump.vim). */
function vimGroups(file) {
  return runVim(file, ['let g:dump_out = g:out', `source ${path.join(__dirname, 'vim-dump.vim')}`]);
}

module.exports = { runVim, vimGroups, vimAvailable, VIM_DIR };
