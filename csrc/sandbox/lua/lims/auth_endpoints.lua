-- v2's token endpoints. POST /auth/token takes QBench's JWT-bearer grant
-- (grant_type and assertion, as multipart/form-data) and checks it exactly
-- as the v1 endpoint does (sandbox.oauth); the answer adds a refresh token.
-- POST /auth/token/refresh takes that refresh_token_id (used up by the
-- exchange), or a fresh grant. GET /auth/token/info describes the bearer
-- token of the request. Without --client-id there is no client to check a
-- grant against: any body that fits the schema gets a token, so a client's
-- walk over every write works on a plain sandbox.
local json = require "sandbox.json"
local errors = require "sandbox.errors"
local oauth = require "sandbox.oauth"
local tokens = require "sandbox.tokens"
local auth = require "sandbox.auth"
local multipart = require "sandbox.multipart"
local validate = require "sandbox.lims.validate"
local answers = require "sandbox.lims.answers"

local null = json.null

local M = {}

local function refused(why, fields)
  return 400, errors.v2(400, why, fields or { { field = "(body)", message = why } }, "INVALID_GRANT")
end

local function form(ctx)
  local fields, why = multipart.parse(ctx.req.headers["content-type"], ctx.req.body)
  if not fields then return nil, refused(why) end
  return fields
end

local function issue(cfg)
  return 200, json.encode { access_token = tokens.issue(cfg.token_ttl), expires_in = cfg.token_ttl,
    token_type = "Bearer", refresh_token = tokens.issue_refresh(cfg.token_ttl) }
end

local function grant(ctx, fields)
  local errs = validate.check(ctx.grant_schema or ctx.op.body.schema, fields)
  if errs then return answers.bad_request(errs) end
  if not ctx.cfg.client_id then return issue(ctx.cfg) end
  local why = oauth.check_grant(ctx.cfg, fields.grant_type, fields.assertion)
  if why then return refused(why) end
  return issue(ctx.cfg)
end

function M.token(ctx)
  local fields, bad, b = form(ctx)
  if not fields then return bad, b end
  return grant(ctx, fields)
end

-- `grant_schema`: the schema of /auth/token's body, for a grant sent here.
function M.refresh(grant_schema)
  return function(ctx)
    local fields, bad, b = form(ctx)
    if not fields then return bad, b end
    if fields.refresh_token_id == nil and (fields.grant_type or fields.assertion) then
      ctx.grant_schema = grant_schema
      return grant(ctx, fields)
    end
    local errs = validate.check(ctx.op.body.schema, fields)
    if errs then return answers.bad_request(errs) end
    local left, why = tokens.redeem_refresh(fields.refresh_token_id)
    if not left and ctx.cfg.client_id then return refused((why:gsub("access token", "refresh token"))) end
    return issue(ctx.cfg)
  end
end

function M.info(ctx)
  local token = auth.bearer(ctx.req.headers)
  local left = token and token ~= ctx.cfg.token and tokens.check(token)
  return 200, answers.encode_data({
    active = true, token_type = "Bearer", client_id = left and ctx.cfg.client_id or null,
    static = token == ctx.cfg.token, expires_in = left and math.floor(left) or null,
  }, ctx.op.record)
end

return M
