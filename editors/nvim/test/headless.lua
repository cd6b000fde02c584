-- Headless Neovim as an LSP client of `schemac lsp` (run by compiler/tests/nvim.rs):
--   SCHEMAC_NVIM_DIR=editors/nvim SCHEMAC_BIN=.../schemac SCHEMAC_FILE=file.schema \
--   SCHEMAC_OUT=result.txt SCHEMAC_LINE=N SCHEMAC_COL=M nvim --headless -u NONE -i NONE -n -c 'luafile headless.lua'
-- Opens the file, waits for the diagnostics the server publishes and writes them to SCHEMAC_OUT,
-- then asks for the definition of what is at SCHEMAC_LINE:SCHEMAC_COL (1-based) and writes
-- where the cursor jumped.
local out = {}
local function finish()
  vim.fn.writefile(out, os.getenv('SCHEMAC_OUT'))
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.opt.runtimepath:append(os.getenv('SCHEMAC_NVIM_DIR'))
  vim.cmd('filetype on')
  require('schemac').setup({ cmd = { os.getenv('SCHEMAC_BIN'), 'lsp' } })
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('SCHEMAC_FILE')))
  table.insert(out, 'filetype ' .. vim.bo.filetype)

  local got = vim.wait(20000, function()
    return #vim.diagnostic.get(0) > 0
  end, 50)
  table.insert(out, 'diagnostics ' .. tostring(got))
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ''
    table.insert(out, string.format('diagnostic %d:%d %s %s', d.lnum + 1, d.col + 1, code, d.message))
  end

  local line, col = tonumber(os.getenv('SCHEMAC_LINE')), tonumber(os.getenv('SCHEMAC_COL'))
  vim.api.nvim_win_set_cursor(0, { line, col - 1 })
  vim.lsp.buf.definition()
  local jumped = vim.wait(20000, function()
    local cursor = vim.api.nvim_win_get_cursor(0)
    return cursor[1] ~= line or cursor[2] ~= col - 1
  end, 50)
  local cursor = vim.api.nvim_win_get_cursor(0)
  table.insert(out, string.format('definition %s %s:%d:%d', tostring(jumped),
    vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':t'), cursor[1], cursor[2] + 1))
end)
if not ok then
  table.insert(out, 'error ' .. tostring(err))
end
finish()
