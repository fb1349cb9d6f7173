-- An editing session in Neovim, driving `meshc lsp` through Neovim's own LSP
-- client: open a file, wait for its diagnostics, hover, apply a quick fix
-- (the client sends the edit back and the diagnostics clear), rename, ask
-- for completion, format. Run by editors/test.sh:
--
--   MESHC=/path/to/meshc MESH_WORK=/a/temporary/folder \
--     nvim --headless --clean -u NONE -i NONE -n -c 'luafile editors/neovim/lsp_test.lua'
--
-- Works with Neovim 0.7 (Debian 12's package) and later. Exits 0 when every
-- check passed, 1 otherwise; each check prints one line.

local meshc = os.getenv('MESHC')
local work = os.getenv('MESH_WORK')
local failed = 0

local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function check(ok, what, detail)
  if ok then
    say('ok: ' .. what)
  else
    failed = failed + 1
    say('FAILED: ' .. what .. (detail and (': ' .. tostring(detail)) or ''))
  end
  return ok
end

local function finish()
  say(failed == 0 and 'neovim: every check passed' or ('neovim: ' .. failed .. ' checks failed'))
  if failed == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit 1')
  end
end

if not meshc or not work then
  check(false, 'MESHC and MESH_WORK are set')
  finish()
  return
end

local path = work .. '/session.mesh'
local lines = {
  'bundle session on polygon {',
  '    input 1 WETH',
  '    let loan = borrow 100 WETH from aavee',
  '    repay loan to aave',
  '}',
}
vim.fn.writefile(lines, path)
vim.cmd('edit ' .. vim.fn.fnameescape(path))
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'mesh'

local config = { name = 'meshc', cmd = { meshc, 'lsp' }, root_dir = work }
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config)
else
  client_id = vim.lsp.start_client(config)
  if client_id then
    vim.lsp.buf_attach_client(buf, client_id)
  end
end
if not check(client_id ~= nil, 'the client starts meshc lsp') then
  finish()
  return
end

local function text()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function at(line, character)
  return { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = character } }
end

local function request(method, params)
  local answers = vim.lsp.buf_request_sync(buf, method, params, 10000) or {}
  local answer = answers[client_id]
  return answer and answer.result, answer and answer.err
end

-- Diagnostics: the misspelt lender, and only it.
vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
local diagnostics = vim.diagnostic.get(buf)
check(#diagnostics == 1 and code_of(diagnostics[1]) == 'E0103', 'the misspelt lender is E0103',
  vim.inspect(diagnostics))
check(diagnostics[1] and diagnostics[1].lnum == 2 and diagnostics[1].col == 36,
  'the diagnostic is at the misspelt word', diagnostics[1] and (diagnostics[1].lnum .. ':' .. diagnostics[1].col))

-- Hover on `100 WETH`.
local hover = request('textDocument/hover', at(2, 24))
local shown = hover and hover.contents and hover.contents.value or ''
check(shown:find('100 WETH', 1, true) ~= nil, 'hover shows the amount', shown)

-- The quick fix: applied through the client, which sends the change back.
local actions = request('textDocument/codeAction', {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 2, character = 37 }, ['end'] = { line = 2, character = 37 } },
  context = { diagnostics = {} },
}) or {}
local fix = actions[1]
check(fix ~= nil and fix.title == 'Replace `aavee` with `aave`', 'a quick fix is offered', vim.inspect(actions))
check(fix ~= nil and not fix.isPreferred, 'a suggested name is not a preferred fix')
if fix and fix.edit then
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
end
check(vim.api.nvim_buf_get_lines(buf, 2, 3, false)[1] == '    let loan = borrow 100 WETH from aave',
  'the quick fix edits the buffer')
check(vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 20),
  'the diagnostics clear once the server has the fixed text', vim.inspect(vim.diagnostic.get(buf)))

-- Rename `loan` with the client's own command.
vim.api.nvim_win_set_cursor(0, { 3, 9 })
vim.lsp.buf.rename('principal')
local renamed = vim.wait(10000, function() return text():find('repay principal to aave', 1, true) ~= nil end, 20)
check(renamed and text():find('let principal = borrow', 1, true) ~= nil, 'rename changes the let and its use', text())

-- Completion on an empty line of the bundle: what begins a statement.
vim.api.nvim_buf_set_lines(buf, 4, 4, false, { '    ' })
local completion = request('textDocument/completion', at(4, 4)) or {}
local labels = {}
for _, item in ipairs(completion.items or completion) do
  table.insert(labels, item.label)
end
check(#labels == 12 and vim.tbl_contains(labels, 'swap') and not vim.tbl_contains(labels, 'WETH'),
  'completion on an empty line offers the statements', table.concat(labels, ' '))
vim.api.nvim_buf_set_lines(buf, 4, 5, false, {})

-- Formatting: an unindented line comes back indented.
vim.api.nvim_buf_set_lines(buf, 1, 2, false, { 'input   1 WETH' })
if vim.lsp.buf.format then
  vim.lsp.buf.format({ async = false, timeout_ms = 10000 })
else
  vim.lsp.buf.formatting_sync(nil, 10000)
end
check(vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == '    input 1 WETH', 'format restores the layout', text())

-- Stop the server: it must exit (shutdown, then exit).
vim.lsp.stop_client(client_id)
check(vim.wait(10000, function() return vim.lsp.client_is_stopped(client_id) end, 20), 'the server stops')
finish()
