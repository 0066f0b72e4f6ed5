-- multipart/form-data bodies (v2's token endpoints): the text fields by name.
local M = {}

-- Returns {name = value}, or nil and why the body cannot be read.
function M.parse(content_type, body)
  if not content_type or not content_type:lower():match("^multipart/form%-data%s*;") then
    return nil, "Content-Type must be multipart/form-data"
  end
  local boundary = content_type:match('[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
    or content_type:match("[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)")
  if not boundary then return nil, "multipart/form-data needs a boundary" end
  local delim = "--" .. boundary
  local fields = {}
  local pos = body:find(delim, 1, true)
  if not pos then return nil, "multipart body has no part" end
  pos = pos + #delim
  while true do
    if body:sub(pos, pos + 1) == "--" then return fields end
    if body:sub(pos, pos + 1) ~= "\r\n" then return nil, "malformed multipart body" end
    local head_end = body:find("\r\n\r\n", pos, true)
    if not head_end then return nil, "malformed multipart part headers" end
    local head = body:sub(pos + 2, head_end - 1)
    local next_delim = body:find("\r\n" .. delim, head_end + 4, true)
    if not next_delim then return nil, "multipart body is not terminated" end
    local name = head:match('[Nn]ame="([^"]*)"')
    if name and fields[name] == nil then fields[name] = body:sub(head_end + 4, next_delim - 1) end
    pos = next_delim + 2 + #delim
  end
end

return M
