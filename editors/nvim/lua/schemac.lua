-- schemac's language server for Neovim (0.7 or later, built-in LSP client; no plugin needed).
--
--   require('schemac').setup()                                  -- `schemac` found on PATH
--   require('schemac').setup({ cmd = { '/path/to/schemac', 'lsp' } })
--
-- Starts `schemac lsp` for every buffer of filetype `schema` (one server per project root: the
-- nearest directory with `schemac.toml` or `.git`, else the file's directory) and attaches to it.
local M = {}

local defaults = {
  cmd = { 'schemac', 'lsp' },
  root_markers = { 'schemac.toml', '.git' },
}

local function root_of(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  for _, marker in ipairs(markers) do
    local file = vim.fn.findfile(marker, dir .. ';')
    if file ~= '' then
      return vim.fn.fnamemodify(file, ':p:h')
    end
    local sub = vim.fn.finddir(marker, dir .. ';')
    if sub ~= '' then
      return vim.fn.fnamemodify(sub, ':p:h:h')
    end
  end
  return dir
end

local clients = {}

function M.attach(bufnr, config)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' then
    return
  end
  local root = root_of(path, config.root_markers)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'schemac',
      cmd = config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      on_attach = config.on_attach,
      capabilities = config.capabilities,
    })
    if id == nil then
      vim.notify('schemac: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

function M.setup(options)
  local config = vim.tbl_deep_extend('force', defaults, options or {})
  local group = vim.api.nvim_create_augroup('schemac_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'schema',
    callback = function(args)
      M.attach(args.buf, config)
    end,
  })
end

return M
