# Generated from schemas/flow.schema.json by `python -m flowc.compiler.fastcheck` (fastjsonschema 2.22.3).
# Do not edit: regenerate. Used only as a yes/no gate; see fastcheck.py.
# fmt: off
# flake8: noqa
SOURCES = {'deployment': 3858711530, 'entry': 1433267214, 'executor': 3767284186, 'flow': 1006658934}  # CRC-32 of the schema files it was made from
VERSION = "2.22.3"
from decimal import Decimal
import re
from flowc.compiler.fastcheck import Invalid as JsonSchemaValueException, Invalid as JsonSchemaValuesException


REGEX_PATTERNS = {
    '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$': re.compile('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\Z'),
    '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$': re.compile('^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?\\Z'),
    '^(?:[Nn][Oo][Nn][Ee]|[Ss][Aa][Gg][Ee][Mm][Aa][Kk][Ee][Rr]|[Aa][Zz][Uu][Rr][Ee])$': re.compile('^(?:[Nn][Oo][Nn][Ee]|[Ss][Aa][Gg][Ee][Mm][Aa][Kk][Ee][Rr]|[Aa][Zz][Uu][Rr][Ee])\\Z'),
    '^(?:[Gg][Rr][Pp][Cc]|[Hh][Tt][Tt][Pp]|[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt])$': re.compile('^(?:[Gg][Rr][Pp][Cc]|[Hh][Tt][Tt][Pp]|[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt])\\Z'),
    '^(?:[Aa][Nn][Yy]|[Aa][Ll][Ll](?:_[Aa][Ss][Yy][Nn][Cc])?)$': re.compile('^(?:[Aa][Nn][Yy]|[Aa][Ll][Ll](?:_[Aa][Ss][Yy][Nn][Cc])?)\\Z')
}

NoneType = type(None)

def validate(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "jtype" in data_keys:
            data_keys.remove("jtype")
            data__jtype = data["jtype"]
            if not (isinstance(data__jtype, str) and data__jtype == 'Flow'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".jtype must be one of ['Flow']")
        if "version" in data_keys:
            data_keys.remove("version")
            data__version = data["version"]
            validate____defs_version(data__version, custom_formats, (name_prefix or "data") + ".version")
        if "with" in data_keys:
            data_keys.remove("with")
            data__with = data["with"]
            validate____defs_flow_with(data__with, custom_formats, (name_prefix or "data") + ".with")
        if "gateway" in data_keys:
            data_keys.remove("gateway")
            data__gateway = data["gateway"]
            validate____defs_gateway(data__gateway, custom_formats, (name_prefix or "data") + ".gateway")
        if "executors" in data_keys:
            data_keys.remove("executors")
            data__executors = data["executors"]
            validate____defs_executors(data__executors, custom_formats, (name_prefix or "data") + ".executors")
        if "deployments" in data_keys:
            data_keys.remove("deployments")
            data__deployments = data["deployments"]
            validate____defs_executors(data__deployments, custom_formats, (name_prefix or "data") + ".deployments")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate____defs_executors(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (list, tuple)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
    data_is_list = isinstance(data, (list, tuple))
    if data_is_list:
        data_len = len(data)
        for data_x, data_item in enumerate(data):
            validate____defs_item(data_item, custom_formats, (name_prefix or "data") + "[{data_x}]".format(**locals()))
    return data

def validate____defs_item(data, custom_formats={}, name_prefix=None):
    data_any_of_count1 = 0
    if not data_any_of_count1:
        try:
            if not isinstance(data, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
            try:
                data_is_dict = isinstance(data, dict)
                if data_is_dict:
                    data__missing_keys = set(['jtype']) - data.keys()
                    if data__missing_keys:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain ")
                    data_keys = set(data.keys())
                    if "jtype" in data_keys:
                        data_keys.remove("jtype")
                        data__jtype = data["jtype"]
                        if not (isinstance(data__jtype, str) and data__jtype == 'Deployment'):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".jtype must be one of ['Deployment']")
            except (JsonSchemaValueException, JsonSchemaValuesException):
                validate_entry_schema_json___defs_entry(data, custom_formats, (name_prefix or "data") + "")
            else:
                validate_deployment_schema_json(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count1 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count1:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            if isinstance(data, str):
                data_len = len(data)
                if data_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must be longer than or equal to 1 characters")
            data_any_of_count1 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count1:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_deployment_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "jtype" in data_keys:
            data_keys.remove("jtype")
            data__jtype = data["jtype"]
            if not (isinstance(data__jtype, str) and data__jtype == 'Deployment'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".jtype must be one of ['Deployment']")
        if "version" in data_keys:
            data_keys.remove("version")
            data__version = data["version"]
            validate_flow_schema_json___defs_version(data__version, custom_formats, (name_prefix or "data") + ".version")
        if "with" in data_keys:
            data_keys.remove("with")
            data__with = data["with"]
            validate_entry_schema_json___defs_entry(data__with, custom_formats, (name_prefix or "data") + ".with")
        if "needs" in data_keys:
            data_keys.remove("needs")
            data__needs = data["needs"]
            validate_entry_schema_json___defs_needs(data__needs, custom_formats, (name_prefix or "data") + ".needs")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_needs(data, custom_formats={}, name_prefix=None):
    data_any_of_count2 = 0
    if not data_any_of_count2:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            if isinstance(data, str):
                data_len = len(data)
                if data_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must be longer than or equal to 1 characters")
            data_any_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count2:
        try:
            if not isinstance(data, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
            data_is_list = isinstance(data, (list, tuple))
            if data_is_list:
                data_len = len(data)
                for data_x, data_item in enumerate(data):
                    if not isinstance(data_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + " must be string")
                    if isinstance(data_item, str):
                        data_item_len = len(data_item)
                        if data_item_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + " must be longer than or equal to 1 characters")
            data_any_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count2:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_flow_schema_json___defs_version(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, int, float, Decimal)) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or number")
    return data

def validate_entry_schema_json___defs_entry(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string")
            if isinstance(data__name, str):
                data__name_len = len(data__name)
                if data__name_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be longer than or equal to 1 characters")
        if "uses" in data_keys:
            data_keys.remove("uses")
            data__uses = data["uses"]
            validate_entry_schema_json___defs_uses(data__uses, custom_formats, (name_prefix or "data") + ".uses")
        if "uses_with" in data_keys:
            data_keys.remove("uses_with")
            data__useswith = data["uses_with"]
            if not isinstance(data__useswith, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_with must be object or null")
        if "uses_metas" in data_keys:
            data_keys.remove("uses_metas")
            data__usesmetas = data["uses_metas"]
            data__usesmetas_any_of_count3 = 0
            if not data__usesmetas_any_of_count3:
                try:
                    validate_executor_schema_json___defs_metas(data__usesmetas, custom_formats, (name_prefix or "data") + ".uses_metas")
                    data__usesmetas_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesmetas_any_of_count3:
                try:
                    if not isinstance(data__usesmetas, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_metas must be null")
                    data__usesmetas_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesmetas_any_of_count3:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_metas cannot be validated by any definition")
        if "uses_requests" in data_keys:
            data_keys.remove("uses_requests")
            data__usesrequests = data["uses_requests"]
            data__usesrequests_any_of_count4 = 0
            if not data__usesrequests_any_of_count4:
                try:
                    validate_executor_schema_json___defs_requests(data__usesrequests, custom_formats, (name_prefix or "data") + ".uses_requests")
                    data__usesrequests_any_of_count4 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesrequests_any_of_count4:
                try:
                    if not isinstance(data__usesrequests, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_requests must be null")
                    data__usesrequests_any_of_count4 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesrequests_any_of_count4:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_requests cannot be validated by any definition")
        if "uses_dynamic_batching" in data_keys:
            data_keys.remove("uses_dynamic_batching")
            data__usesdynamicbatching = data["uses_dynamic_batching"]
            data__usesdynamicbatching_any_of_count5 = 0
            if not data__usesdynamicbatching_any_of_count5:
                try:
                    validate_executor_schema_json___defs_dynamic_batching(data__usesdynamicbatching, custom_formats, (name_prefix or "data") + ".uses_dynamic_batching")
                    data__usesdynamicbatching_any_of_count5 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesdynamicbatching_any_of_count5:
                try:
                    if not isinstance(data__usesdynamicbatching, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_dynamic_batching must be null")
                    data__usesdynamicbatching_any_of_count5 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__usesdynamicbatching_any_of_count5:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_dynamic_batching cannot be validated by any definition")
        if "py_modules" in data_keys:
            data_keys.remove("py_modules")
            data__pymodules = data["py_modules"]
            validate_entry_schema_json___defs_string_or_strings(data__pymodules, custom_formats, (name_prefix or "data") + ".py_modules")
        if "workspace" in data_keys:
            data_keys.remove("workspace")
            data__workspace = data["workspace"]
            if not isinstance(data__workspace, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".workspace must be string")
        if "workspace_id" in data_keys:
            data_keys.remove("workspace_id")
            data__workspaceid = data["workspace_id"]
            if not isinstance(data__workspaceid, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".workspace_id must be string")
        if "extra_search_paths" in data_keys:
            data_keys.remove("extra_search_paths")
            data__extrasearchpaths = data["extra_search_paths"]
            validate_entry_schema_json___defs_string_or_strings(data__extrasearchpaths, custom_formats, (name_prefix or "data") + ".extra_search_paths")
        if "log_config" in data_keys:
            data_keys.remove("log_config")
            data__logconfig = data["log_config"]
            if not isinstance(data__logconfig, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".log_config must be string")
        if "quiet" in data_keys:
            data_keys.remove("quiet")
            data__quiet = data["quiet"]
            if not isinstance(data__quiet, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".quiet must be boolean")
        if "quiet_error" in data_keys:
            data_keys.remove("quiet_error")
            data__quieterror = data["quiet_error"]
            if not isinstance(data__quieterror, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".quiet_error must be boolean")
        if "install_requirements" in data_keys:
            data_keys.remove("install_requirements")
            data__installrequirements = data["install_requirements"]
            if not isinstance(data__installrequirements, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".install_requirements must be boolean")
        if "needs" in data_keys:
            data_keys.remove("needs")
            data__needs = data["needs"]
            validate_entry_schema_json___defs_needs(data__needs, custom_formats, (name_prefix or "data") + ".needs")
        if "method" in data_keys:
            data_keys.remove("method")
            data__method = data["method"]
            if not isinstance(data__method, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".method must be string")
            if not (isinstance(data__method, str) and data__method == 'add' or isinstance(data__method, str) and data__method == 'needs' or isinstance(data__method, str) and data__method == 'inspect' or isinstance(data__method, str) and data__method == 'needs_all' or isinstance(data__method, str) and data__method == 'gather_inspect'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".method must be one of ['add', 'needs', 'inspect', 'needs_all', 'gather_inspect']")
        if "shards" in data_keys:
            data_keys.remove("shards")
            data__shards = data["shards"]
            if not isinstance(data__shards, (int)) and not (isinstance(data__shards, float) and data__shards.is_integer()) or isinstance(data__shards, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards must be integer")
            if isinstance(data__shards, (int, float, Decimal)) and not isinstance(data__shards, bool):
                if data__shards < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards must be bigger than or equal to 1")
        if "replicas" in data_keys:
            data_keys.remove("replicas")
            data__replicas = data["replicas"]
            if not isinstance(data__replicas, (int)) and not (isinstance(data__replicas, float) and data__replicas.is_integer()) or isinstance(data__replicas, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".replicas must be integer")
            if isinstance(data__replicas, (int, float, Decimal)) and not isinstance(data__replicas, bool):
                if data__replicas < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".replicas must be bigger than or equal to 1")
        if "polling" in data_keys:
            data_keys.remove("polling")
            data__polling = data["polling"]
            validate_entry_schema_json___defs_polling(data__polling, custom_formats, (name_prefix or "data") + ".polling")
        if "when" in data_keys:
            data_keys.remove("when")
            data__when = data["when"]
            if not isinstance(data__when, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".when must be object")
        if "floating" in data_keys:
            data_keys.remove("floating")
            data__floating = data["floating"]
            if not isinstance(data__floating, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".floating must be boolean")
        if "uses_before" in data_keys:
            data_keys.remove("uses_before")
            data__usesbefore = data["uses_before"]
            validate_entry_schema_json___defs_uses(data__usesbefore, custom_formats, (name_prefix or "data") + ".uses_before")
        if "uses_after" in data_keys:
            data_keys.remove("uses_after")
            data__usesafter = data["uses_after"]
            validate_entry_schema_json___defs_uses(data__usesafter, custom_formats, (name_prefix or "data") + ".uses_after")
        if "uses_before_address" in data_keys:
            data_keys.remove("uses_before_address")
            data__usesbeforeaddress = data["uses_before_address"]
            if not isinstance(data__usesbeforeaddress, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_before_address must be string")
        if "uses_after_address" in data_keys:
            data_keys.remove("uses_after_address")
            data__usesafteraddress = data["uses_after_address"]
            if not isinstance(data__usesafteraddress, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_after_address must be string")
        if "external" in data_keys:
            data_keys.remove("external")
            data__external = data["external"]
            if not isinstance(data__external, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".external must be boolean")
        if "host" in data_keys:
            data_keys.remove("host")
            data__host = data["host"]
            validate_entry_schema_json___defs_string_or_strings(data__host, custom_formats, (name_prefix or "data") + ".host")
        if "host_in" in data_keys:
            data_keys.remove("host_in")
            data__hostin = data["host_in"]
            validate_entry_schema_json___defs_string_or_strings(data__hostin, custom_formats, (name_prefix or "data") + ".host_in")
        if "port" in data_keys:
            data_keys.remove("port")
            data__port = data["port"]
            validate_entry_schema_json___defs_ports(data__port, custom_formats, (name_prefix or "data") + ".port")
        if "ports" in data_keys:
            data_keys.remove("ports")
            data__ports = data["ports"]
            validate_entry_schema_json___defs_ports(data__ports, custom_formats, (name_prefix or "data") + ".ports")
        if "protocol" in data_keys:
            data_keys.remove("protocol")
            data__protocol = data["protocol"]
            validate_entry_schema_json___defs_protocols(data__protocol, custom_formats, (name_prefix or "data") + ".protocol")
        if "protocols" in data_keys:
            data_keys.remove("protocols")
            data__protocols = data["protocols"]
            validate_entry_schema_json___defs_protocols(data__protocols, custom_formats, (name_prefix or "data") + ".protocols")
        if "tls" in data_keys:
            data_keys.remove("tls")
            data__tls = data["tls"]
            if not isinstance(data__tls, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".tls must be boolean")
        if "grpc_metadata" in data_keys:
            data_keys.remove("grpc_metadata")
            data__grpcmetadata = data["grpc_metadata"]
            validate_entry_schema_json___defs_scalar_map(data__grpcmetadata, custom_formats, (name_prefix or "data") + ".grpc_metadata")
        if "disable_reduce" in data_keys:
            data_keys.remove("disable_reduce")
            data__disablereduce = data["disable_reduce"]
            if not isinstance(data__disablereduce, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".disable_reduce must be boolean")
        if "no_reduce" in data_keys:
            data_keys.remove("no_reduce")
            data__noreduce = data["no_reduce"]
            if not isinstance(data__noreduce, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".no_reduce must be boolean")
        if "allow_concurrent" in data_keys:
            data_keys.remove("allow_concurrent")
            data__allowconcurrent = data["allow_concurrent"]
            if not isinstance(data__allowconcurrent, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".allow_concurrent must be boolean")
        if "exit_on_exceptions" in data_keys:
            data_keys.remove("exit_on_exceptions")
            data__exitonexceptions = data["exit_on_exceptions"]
            validate_entry_schema_json___defs_string_or_strings(data__exitonexceptions, custom_formats, (name_prefix or "data") + ".exit_on_exceptions")
        if "timeout_ready" in data_keys:
            data_keys.remove("timeout_ready")
            data__timeoutready = data["timeout_ready"]
            if not isinstance(data__timeoutready, (int)) and not (isinstance(data__timeoutready, float) and data__timeoutready.is_integer()) or isinstance(data__timeoutready, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout_ready must be integer")
            if isinstance(data__timeoutready, (int, float, Decimal)) and not isinstance(data__timeoutready, bool):
                if data__timeoutready < -1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout_ready must be bigger than or equal to -1")
        if "timeout_send" in data_keys:
            data_keys.remove("timeout_send")
            data__timeoutsend = data["timeout_send"]
            if not isinstance(data__timeoutsend, (int, NoneType)) and not (isinstance(data__timeoutsend, float) and data__timeoutsend.is_integer()) or isinstance(data__timeoutsend, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout_send must be integer or null")
            if isinstance(data__timeoutsend, (int, float, Decimal)) and not isinstance(data__timeoutsend, bool):
                if data__timeoutsend < -1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout_send must be bigger than or equal to -1")
        if "timeout_ctrl" in data_keys:
            data_keys.remove("timeout_ctrl")
            data__timeoutctrl = data["timeout_ctrl"]
            if not isinstance(data__timeoutctrl, (int)) and not (isinstance(data__timeoutctrl, float) and data__timeoutctrl.is_integer()) or isinstance(data__timeoutctrl, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout_ctrl must be integer")
        if "retries" in data_keys:
            data_keys.remove("retries")
            data__retries = data["retries"]
            if not isinstance(data__retries, (int)) and not (isinstance(data__retries, float) and data__retries.is_integer()) or isinstance(data__retries, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".retries must be integer")
            if isinstance(data__retries, (int, float, Decimal)) and not isinstance(data__retries, bool):
                if data__retries < -1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".retries must be bigger than or equal to -1")
        if "reload" in data_keys:
            data_keys.remove("reload")
            data__reload = data["reload"]
            if not isinstance(data__reload, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".reload must be boolean")
        if "restart" in data_keys:
            data_keys.remove("restart")
            data__restart = data["restart"]
            if not isinstance(data__restart, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".restart must be boolean")
        if "env" in data_keys:
            data_keys.remove("env")
            data__env = data["env"]
            validate_entry_schema_json___defs_env(data__env, custom_formats, (name_prefix or "data") + ".env")
        if "env_from_secret" in data_keys:
            data_keys.remove("env_from_secret")
            data__envfromsecret = data["env_from_secret"]
            validate_entry_schema_json___defs_env_from_secret(data__envfromsecret, custom_formats, (name_prefix or "data") + ".env_from_secret")
        if "image_pull_secrets" in data_keys:
            data_keys.remove("image_pull_secrets")
            data__imagepullsecrets = data["image_pull_secrets"]
            validate_entry_schema_json___defs_string_or_strings(data__imagepullsecrets, custom_formats, (name_prefix or "data") + ".image_pull_secrets")
        if "output_array_type" in data_keys:
            data_keys.remove("output_array_type")
            data__outputarraytype = data["output_array_type"]
            if not isinstance(data__outputarraytype, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".output_array_type must be string or null")
        if "native" in data_keys:
            data_keys.remove("native")
            data__native = data["native"]
            if not isinstance(data__native, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".native must be boolean")
        if "runtime_cls" in data_keys:
            data_keys.remove("runtime_cls")
            data__runtimecls = data["runtime_cls"]
            if not isinstance(data__runtimecls, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".runtime_cls must be string")
        if "compression" in data_keys:
            data_keys.remove("compression")
            data__compression = data["compression"]
            if not isinstance(data__compression, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".compression must be string or null")
            if not (isinstance(data__compression, str) and data__compression == 'NoCompression' or isinstance(data__compression, str) and data__compression == 'Deflate' or isinstance(data__compression, str) and data__compression == 'Gzip' or data__compression is None):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".compression must be one of ['NoCompression', 'Deflate', 'Gzip', None]")
        if "grpc_server_options" in data_keys:
            data_keys.remove("grpc_server_options")
            data__grpcserveroptions = data["grpc_server_options"]
            validate_entry_schema_json___defs_scalar_map(data__grpcserveroptions, custom_formats, (name_prefix or "data") + ".grpc_server_options")
        if "grpc_channel_options" in data_keys:
            data_keys.remove("grpc_channel_options")
            data__grpcchanneloptions = data["grpc_channel_options"]
            validate_entry_schema_json___defs_scalar_map(data__grpcchanneloptions, custom_formats, (name_prefix or "data") + ".grpc_channel_options")
        if "k8s_namespace" in data_keys:
            data_keys.remove("k8s_namespace")
            data__k8snamespace = data["k8s_namespace"]
            if not isinstance(data__k8snamespace, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s_namespace must be string")
        if "entrypoint" in data_keys:
            data_keys.remove("entrypoint")
            data__entrypoint = data["entrypoint"]
            if not isinstance(data__entrypoint, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entrypoint must be string")
        if "docker_kwargs" in data_keys:
            data_keys.remove("docker_kwargs")
            data__dockerkwargs = data["docker_kwargs"]
            if not isinstance(data__dockerkwargs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".docker_kwargs must be object")
        if "volumes" in data_keys:
            data_keys.remove("volumes")
            data__volumes = data["volumes"]
            validate_entry_schema_json___defs_string_or_strings(data__volumes, custom_formats, (name_prefix or "data") + ".volumes")
        if "gpus" in data_keys:
            data_keys.remove("gpus")
            data__gpus = data["gpus"]
            if not isinstance(data__gpus, (int, str)) and not (isinstance(data__gpus, float) and data__gpus.is_integer()) or isinstance(data__gpus, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".gpus must be integer or string")
        if "disable_auto_volume" in data_keys:
            data_keys.remove("disable_auto_volume")
            data__disableautovolume = data["disable_auto_volume"]
            if not isinstance(data__disableautovolume, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".disable_auto_volume must be boolean")
        if "force_network_mode" in data_keys:
            data_keys.remove("force_network_mode")
            data__forcenetworkmode = data["force_network_mode"]
            if not isinstance(data__forcenetworkmode, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".force_network_mode must be string")
            if not (isinstance(data__forcenetworkmode, str) and data__forcenetworkmode == 'AUTO' or isinstance(data__forcenetworkmode, str) and data__forcenetworkmode == 'HOST' or isinstance(data__forcenetworkmode, str) and data__forcenetworkmode == 'BRIDGE' or isinstance(data__forcenetworkmode, str) and data__forcenetworkmode == 'NONE'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".force_network_mode must be one of ['AUTO', 'HOST', 'BRIDGE', 'NONE']")
        if "stateful" in data_keys:
            data_keys.remove("stateful")
            data__stateful = data["stateful"]
            if not isinstance(data__stateful, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".stateful must be boolean")
        if "peer_ports" in data_keys:
            data_keys.remove("peer_ports")
            data__peerports = data["peer_ports"]
            if not isinstance(data__peerports, (int, list, tuple, dict, str)) and not (isinstance(data__peerports, float) and data__peerports.is_integer()) or isinstance(data__peerports, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".peer_ports must be integer or array or object or string")
        if "raft_configuration" in data_keys:
            data_keys.remove("raft_configuration")
            data__raftconfiguration = data["raft_configuration"]
            if not isinstance(data__raftconfiguration, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration must be object")
            data__raftconfiguration_is_dict = isinstance(data__raftconfiguration, dict)
            if data__raftconfiguration_is_dict:
                data__raftconfiguration_keys = set(data__raftconfiguration.keys())
                if "heartbeat_timeout" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("heartbeat_timeout")
                    data__raftconfiguration__heartbeattimeout = data__raftconfiguration["heartbeat_timeout"]
                    if not isinstance(data__raftconfiguration__heartbeattimeout, (int)) and not (isinstance(data__raftconfiguration__heartbeattimeout, float) and data__raftconfiguration__heartbeattimeout.is_integer()) or isinstance(data__raftconfiguration__heartbeattimeout, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.heartbeat_timeout must be integer")
                    if isinstance(data__raftconfiguration__heartbeattimeout, (int, float, Decimal)) and not isinstance(data__raftconfiguration__heartbeattimeout, bool):
                        if data__raftconfiguration__heartbeattimeout < 10:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.heartbeat_timeout must be bigger than or equal to 10")
                if "leader_lease_timeout" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("leader_lease_timeout")
                    data__raftconfiguration__leaderleasetimeout = data__raftconfiguration["leader_lease_timeout"]
                    if not isinstance(data__raftconfiguration__leaderleasetimeout, (int)) and not (isinstance(data__raftconfiguration__leaderleasetimeout, float) and data__raftconfiguration__leaderleasetimeout.is_integer()) or isinstance(data__raftconfiguration__leaderleasetimeout, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.leader_lease_timeout must be integer")
                    if isinstance(data__raftconfiguration__leaderleasetimeout, (int, float, Decimal)) and not isinstance(data__raftconfiguration__leaderleasetimeout, bool):
                        if data__raftconfiguration__leaderleasetimeout < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.leader_lease_timeout must be bigger than or equal to 1")
                if "snapshot_threshold" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("snapshot_threshold")
                    data__raftconfiguration__snapshotthreshold = data__raftconfiguration["snapshot_threshold"]
                    if not isinstance(data__raftconfiguration__snapshotthreshold, (int)) and not (isinstance(data__raftconfiguration__snapshotthreshold, float) and data__raftconfiguration__snapshotthreshold.is_integer()) or isinstance(data__raftconfiguration__snapshotthreshold, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.snapshot_threshold must be integer")
                    if isinstance(data__raftconfiguration__snapshotthreshold, (int, float, Decimal)) and not isinstance(data__raftconfiguration__snapshotthreshold, bool):
                        if data__raftconfiguration__snapshotthreshold < 2:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.snapshot_threshold must be bigger than or equal to 2")
                if "snapshot_interval" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("snapshot_interval")
                    data__raftconfiguration__snapshotinterval = data__raftconfiguration["snapshot_interval"]
                    if not isinstance(data__raftconfiguration__snapshotinterval, (int)) and not (isinstance(data__raftconfiguration__snapshotinterval, float) and data__raftconfiguration__snapshotinterval.is_integer()) or isinstance(data__raftconfiguration__snapshotinterval, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.snapshot_interval must be integer")
                    if isinstance(data__raftconfiguration__snapshotinterval, (int, float, Decimal)) and not isinstance(data__raftconfiguration__snapshotinterval, bool):
                        if data__raftconfiguration__snapshotinterval < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.snapshot_interval must be bigger than or equal to 1")
                if "log_level" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("log_level")
                    data__raftconfiguration__loglevel = data__raftconfiguration["log_level"]
                    if not isinstance(data__raftconfiguration__loglevel, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.log_level must be string")
                    if not (isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'TRACE' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'DEBUG' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'INFO' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'WARN' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'WARNING' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'ERROR' or isinstance(data__raftconfiguration__loglevel, str) and data__raftconfiguration__loglevel == 'OFF'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.log_level must be one of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'OFF']")
                if "password_from_secret" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("password_from_secret")
                    data__raftconfiguration__passwordfromsecret = data__raftconfiguration["password_from_secret"]
                    if not isinstance(data__raftconfiguration__passwordfromsecret, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.password_from_secret must be string")
                    if isinstance(data__raftconfiguration__passwordfromsecret, str):
                        data__raftconfiguration__passwordfromsecret_len = len(data__raftconfiguration__passwordfromsecret)
                        if data__raftconfiguration__passwordfromsecret_len > 253:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.password_from_secret must be shorter than or equal to 253 characters")
                        if not REGEX_PATTERNS['^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'].search(data__raftconfiguration__passwordfromsecret):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.password_from_secret must match pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
                if "election_timeout" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("election_timeout")
                    data__raftconfiguration__electiontimeout = data__raftconfiguration["election_timeout"]
                    if not isinstance(data__raftconfiguration__electiontimeout, (int)) and not (isinstance(data__raftconfiguration__electiontimeout, float) and data__raftconfiguration__electiontimeout.is_integer()) or isinstance(data__raftconfiguration__electiontimeout, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.election_timeout must be integer")
                    if isinstance(data__raftconfiguration__electiontimeout, (int, float, Decimal)) and not isinstance(data__raftconfiguration__electiontimeout, bool):
                        if data__raftconfiguration__electiontimeout < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.election_timeout must be bigger than or equal to 1")
                if "commit_timeout" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("commit_timeout")
                    data__raftconfiguration__committimeout = data__raftconfiguration["commit_timeout"]
                    if not isinstance(data__raftconfiguration__committimeout, (int)) and not (isinstance(data__raftconfiguration__committimeout, float) and data__raftconfiguration__committimeout.is_integer()) or isinstance(data__raftconfiguration__committimeout, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.commit_timeout must be integer")
                    if isinstance(data__raftconfiguration__committimeout, (int, float, Decimal)) and not isinstance(data__raftconfiguration__committimeout, bool):
                        if data__raftconfiguration__committimeout < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.commit_timeout must be bigger than or equal to 1")
                if "max_append_entries" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("max_append_entries")
                    data__raftconfiguration__maxappendentries = data__raftconfiguration["max_append_entries"]
                    if not isinstance(data__raftconfiguration__maxappendentries, (int)) and not (isinstance(data__raftconfiguration__maxappendentries, float) and data__raftconfiguration__maxappendentries.is_integer()) or isinstance(data__raftconfiguration__maxappendentries, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.max_append_entries must be integer")
                    if isinstance(data__raftconfiguration__maxappendentries, (int, float, Decimal)) and not isinstance(data__raftconfiguration__maxappendentries, bool):
                        if data__raftconfiguration__maxappendentries < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.max_append_entries must be bigger than or equal to 1")
                if "batch_apply_ch" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("batch_apply_ch")
                    data__raftconfiguration__batchapplych = data__raftconfiguration["batch_apply_ch"]
                    if not isinstance(data__raftconfiguration__batchapplych, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.batch_apply_ch must be boolean")
                if "shutdown_on_remove" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("shutdown_on_remove")
                    data__raftconfiguration__shutdownonremove = data__raftconfiguration["shutdown_on_remove"]
                    if not isinstance(data__raftconfiguration__shutdownonremove, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.shutdown_on_remove must be boolean")
                if "trailing_logs" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("trailing_logs")
                    data__raftconfiguration__trailinglogs = data__raftconfiguration["trailing_logs"]
                    if not isinstance(data__raftconfiguration__trailinglogs, (int)) and not (isinstance(data__raftconfiguration__trailinglogs, float) and data__raftconfiguration__trailinglogs.is_integer()) or isinstance(data__raftconfiguration__trailinglogs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.trailing_logs must be integer")
                    if isinstance(data__raftconfiguration__trailinglogs, (int, float, Decimal)) and not isinstance(data__raftconfiguration__trailinglogs, bool):
                        if data__raftconfiguration__trailinglogs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.trailing_logs must be bigger than or equal to 0")
                if "no_snapshot_restore_on_start" in data__raftconfiguration_keys:
                    data__raftconfiguration_keys.remove("no_snapshot_restore_on_start")
                    data__raftconfiguration__nosnapshotrestoreonstart = data__raftconfiguration["no_snapshot_restore_on_start"]
                    if not isinstance(data__raftconfiguration__nosnapshotrestoreonstart, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration.no_snapshot_restore_on_start must be boolean")
                if data__raftconfiguration_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".raft_configuration must not contain "+str(data__raftconfiguration_keys)+" properties")
        if "monitoring" in data_keys:
            data_keys.remove("monitoring")
            data__monitoring = data["monitoring"]
            if not isinstance(data__monitoring, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".monitoring must be boolean")
        if "port_monitoring" in data_keys:
            data_keys.remove("port_monitoring")
            data__portmonitoring = data["port_monitoring"]
            validate_entry_schema_json___defs_ports(data__portmonitoring, custom_formats, (name_prefix or "data") + ".port_monitoring")
        if "metrics" in data_keys:
            data_keys.remove("metrics")
            data__metrics = data["metrics"]
            if not isinstance(data__metrics, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".metrics must be boolean")
        if "metrics_exporter_host" in data_keys:
            data_keys.remove("metrics_exporter_host")
            data__metricsexporterhost = data["metrics_exporter_host"]
            if not isinstance(data__metricsexporterhost, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".metrics_exporter_host must be string")
        if "metrics_exporter_port" in data_keys:
            data_keys.remove("metrics_exporter_port")
            data__metricsexporterport = data["metrics_exporter_port"]
            if not isinstance(data__metricsexporterport, (int)) and not (isinstance(data__metricsexporterport, float) and data__metricsexporterport.is_integer()) or isinstance(data__metricsexporterport, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".metrics_exporter_port must be integer")
        if "tracing" in data_keys:
            data_keys.remove("tracing")
            data__tracing = data["tracing"]
            if not isinstance(data__tracing, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".tracing must be boolean")
        if "traces_exporter_host" in data_keys:
            data_keys.remove("traces_exporter_host")
            data__tracesexporterhost = data["traces_exporter_host"]
            if not isinstance(data__tracesexporterhost, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".traces_exporter_host must be string")
        if "traces_exporter_port" in data_keys:
            data_keys.remove("traces_exporter_port")
            data__tracesexporterport = data["traces_exporter_port"]
            if not isinstance(data__tracesexporterport, (int)) and not (isinstance(data__tracesexporterport, float) and data__tracesexporterport.is_integer()) or isinstance(data__tracesexporterport, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".traces_exporter_port must be integer")
        if "title" in data_keys:
            data_keys.remove("title")
            data__title = data["title"]
            if not isinstance(data__title, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".title must be string")
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            if not isinstance(data__description, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".description must be string")
        if "cors" in data_keys:
            data_keys.remove("cors")
            data__cors = data["cors"]
            if not isinstance(data__cors, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".cors must be boolean")
        if "uvicorn_kwargs" in data_keys:
            data_keys.remove("uvicorn_kwargs")
            data__uvicornkwargs = data["uvicorn_kwargs"]
            if not isinstance(data__uvicornkwargs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uvicorn_kwargs must be object")
        if "ssl_certfile" in data_keys:
            data_keys.remove("ssl_certfile")
            data__sslcertfile = data["ssl_certfile"]
            if not isinstance(data__sslcertfile, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".ssl_certfile must be string")
        if "ssl_keyfile" in data_keys:
            data_keys.remove("ssl_keyfile")
            data__sslkeyfile = data["ssl_keyfile"]
            if not isinstance(data__sslkeyfile, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".ssl_keyfile must be string")
        if "provider" in data_keys:
            data_keys.remove("provider")
            data__provider = data["provider"]
            validate_entry_schema_json___defs_provider(data__provider, custom_formats, (name_prefix or "data") + ".provider")
        if "provider_endpoint" in data_keys:
            data_keys.remove("provider_endpoint")
            data__providerendpoint = data["provider_endpoint"]
            if not isinstance(data__providerendpoint, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".provider_endpoint must be string")
        if "force_update" in data_keys:
            data_keys.remove("force_update")
            data__forceupdate = data["force_update"]
            if not isinstance(data__forceupdate, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".force_update must be boolean")
        if "force" in data_keys:
            data_keys.remove("force")
            data__force = data["force"]
            if not isinstance(data__force, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".force must be boolean")
        if "prefer_platform" in data_keys:
            data_keys.remove("prefer_platform")
            data__preferplatform = data["prefer_platform"]
            if not isinstance(data__preferplatform, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".prefer_platform must be string")
        if "image" in data_keys:
            data_keys.remove("image")
            data__image = data["image"]
            if not isinstance(data__image, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".image must be string")
            if isinstance(data__image, str):
                data__image_len = len(data__image)
                if data__image_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".image must be longer than or equal to 1 characters")
        if "resources" in data_keys:
            data_keys.remove("resources")
            data__resources = data["resources"]
            validate_entry_schema_json___defs_resources(data__resources, custom_formats, (name_prefix or "data") + ".resources")
        if "service_account" in data_keys:
            data_keys.remove("service_account")
            data__serviceaccount = data["service_account"]
            if not isinstance(data__serviceaccount, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".service_account must be string")
            if isinstance(data__serviceaccount, str):
                data__serviceaccount_len = len(data__serviceaccount)
                if data__serviceaccount_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".service_account must be longer than or equal to 1 characters")
        if "placement" in data_keys:
            data_keys.remove("placement")
            data__placement = data["placement"]
            validate_entry_schema_json___defs_placement(data__placement, custom_formats, (name_prefix or "data") + ".placement")
        if "targets" in data_keys:
            data_keys.remove("targets")
            data__targets = data["targets"]
            validate_entry_schema_json___defs_targets(data__targets, custom_formats, (name_prefix or "data") + ".targets")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_targets(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "k8s" in data_keys:
            data_keys.remove("k8s")
            data__k8s = data["k8s"]
            if not isinstance(data__k8s, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s must be object")
            data__k8s_is_dict = isinstance(data__k8s, dict)
            if data__k8s_is_dict:
                data__k8s_keys = set(data__k8s.keys())
                if "labels" in data__k8s_keys:
                    data__k8s_keys.remove("labels")
                    data__k8s__labels = data__k8s["labels"]
                    validate_entry_schema_json___defs_string_map(data__k8s__labels, custom_formats, (name_prefix or "data") + ".k8s.labels")
                if "annotations" in data__k8s_keys:
                    data__k8s_keys.remove("annotations")
                    data__k8s__annotations = data__k8s["annotations"]
                    validate_entry_schema_json___defs_string_map(data__k8s__annotations, custom_formats, (name_prefix or "data") + ".k8s.annotations")
                if "node_selector" in data__k8s_keys:
                    data__k8s_keys.remove("node_selector")
                    data__k8s__nodeselector = data__k8s["node_selector"]
                    validate_entry_schema_json___defs_string_map(data__k8s__nodeselector, custom_formats, (name_prefix or "data") + ".k8s.node_selector")
                if "tolerations" in data__k8s_keys:
                    data__k8s_keys.remove("tolerations")
                    data__k8s__tolerations = data__k8s["tolerations"]
                    if not isinstance(data__k8s__tolerations, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s.tolerations must be array")
                    data__k8s__tolerations_is_list = isinstance(data__k8s__tolerations, (list, tuple))
                    if data__k8s__tolerations_is_list:
                        data__k8s__tolerations_len = len(data__k8s__tolerations)
                        for data__k8s__tolerations_x, data__k8s__tolerations_item in enumerate(data__k8s__tolerations):
                            if not isinstance(data__k8s__tolerations_item, (dict)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s.tolerations[{data__k8s__tolerations_x}]".format(**locals()) + " must be object")
                if "storage" in data__k8s_keys:
                    data__k8s_keys.remove("storage")
                    data__k8s__storage = data__k8s["storage"]
                    validate_entry_schema_json___defs_quantity(data__k8s__storage, custom_formats, (name_prefix or "data") + ".k8s.storage")
                if "storage_class" in data__k8s_keys:
                    data__k8s_keys.remove("storage_class")
                    data__k8s__storageclass = data__k8s["storage_class"]
                    if not isinstance(data__k8s__storageclass, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s.storage_class must be string")
                if "workload" in data__k8s_keys:
                    data__k8s_keys.remove("workload")
                    data__k8s__workload = data__k8s["workload"]
                    if not isinstance(data__k8s__workload, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s.workload must be string")
                    if not (isinstance(data__k8s__workload, str) and data__k8s__workload == 'Deployment' or isinstance(data__k8s__workload, str) and data__k8s__workload == 'StatefulSet'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s.workload must be one of ['Deployment', 'StatefulSet']")
                if data__k8s_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".k8s must not contain "+str(data__k8s_keys)+" properties")
        if "compose" in data_keys:
            data_keys.remove("compose")
            data__compose = data["compose"]
            if not isinstance(data__compose, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".compose must be object")
            data__compose_is_dict = isinstance(data__compose, dict)
            if data__compose_is_dict:
                data__compose_keys = set(data__compose.keys())
                if "labels" in data__compose_keys:
                    data__compose_keys.remove("labels")
                    data__compose__labels = data__compose["labels"]
                    validate_entry_schema_json___defs_string_map(data__compose__labels, custom_formats, (name_prefix or "data") + ".compose.labels")
                if data__compose_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".compose must not contain "+str(data__compose_keys)+" properties")
        if "systemd" in data_keys:
            data_keys.remove("systemd")
            data__systemd = data["systemd"]
            if not isinstance(data__systemd, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".systemd must be object")
            data__systemd_is_dict = isinstance(data__systemd, dict)
            if data__systemd_is_dict:
                data__systemd_keys = set(data__systemd.keys())
                if data__systemd_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".systemd must not contain "+str(data__systemd_keys)+" properties")
        if "local" in data_keys:
            data_keys.remove("local")
            data__local = data["local"]
            if not isinstance(data__local, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".local must be object")
            data__local_is_dict = isinstance(data__local, dict)
            if data__local_is_dict:
                data__local_keys = set(data__local.keys())
                if data__local_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".local must not contain "+str(data__local_keys)+" properties")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_quantity(data, custom_formats={}, name_prefix=None):
    data_any_of_count6 = 0
    if not data_any_of_count6:
        try:
            if not isinstance(data, (int, float, Decimal)) or isinstance(data, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be number")
            if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
                if data < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 0")
            data_any_of_count6 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count6:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            if isinstance(data, str):
                if not REGEX_PATTERNS['^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$'].search(data):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$")
            data_any_of_count6 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count6:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_string_map(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (str)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be string")
    return data

def validate_entry_schema_json___defs_placement(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if not (isinstance(data, str) and data == 'process' or isinstance(data, str) and data == 'gateway'):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be one of ['process', 'gateway']")
    return data

def validate_entry_schema_json___defs_resources(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "requests" in data_keys:
            data_keys.remove("requests")
            data__requests = data["requests"]
            validate_entry_schema_json___defs_cpu_memory(data__requests, custom_formats, (name_prefix or "data") + ".requests")
        if "limits" in data_keys:
            data_keys.remove("limits")
            data__limits = data["limits"]
            validate_entry_schema_json___defs_cpu_memory(data__limits, custom_formats, (name_prefix or "data") + ".limits")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_cpu_memory(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "cpu" in data_keys:
            data_keys.remove("cpu")
            data__cpu = data["cpu"]
            validate_entry_schema_json___defs_quantity(data__cpu, custom_formats, (name_prefix or "data") + ".cpu")
        if "memory" in data_keys:
            data_keys.remove("memory")
            data__memory = data["memory"]
            validate_entry_schema_json___defs_quantity(data__memory, custom_formats, (name_prefix or "data") + ".memory")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_provider(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if isinstance(data, str):
        if not REGEX_PATTERNS['^(?:[Nn][Oo][Nn][Ee]|[Ss][Aa][Gg][Ee][Mm][Aa][Kk][Ee][Rr]|[Aa][Zz][Uu][Rr][Ee])$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^(?:[Nn][Oo][Nn][Ee]|[Ss][Aa][Gg][Ee][Mm][Aa][Kk][Ee][Rr]|[Aa][Zz][Uu][Rr][Ee])$")
    return data

def validate_entry_schema_json___defs_env_from_secret(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (dict)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be object")
                data_value_is_dict = isinstance(data_value, dict)
                if data_value_is_dict:
                    data_value__missing_keys = set(['name', 'key']) - data_value.keys()
                    if data_value__missing_keys:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must contain ")
                    data_value_keys = set(data_value.keys())
                    if "name" in data_value_keys:
                        data_value_keys.remove("name")
                        data_value__name = data_value["name"]
                        if not isinstance(data_value__name, (str)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.name".format(**locals()) + " must be string")
                        if isinstance(data_value__name, str):
                            data_value__name_len = len(data_value__name)
                            if data_value__name_len < 1:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.name".format(**locals()) + " must be longer than or equal to 1 characters")
                    if "key" in data_value_keys:
                        data_value_keys.remove("key")
                        data_value__key = data_value["key"]
                        if not isinstance(data_value__key, (str)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.key".format(**locals()) + " must be string")
                        if isinstance(data_value__key, str):
                            data_value__key_len = len(data_value__key)
                            if data_value__key_len < 1:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.key".format(**locals()) + " must be longer than or equal to 1 characters")
                    if data_value_keys:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must not contain "+str(data_value_keys)+" properties")
    return data

def validate_entry_schema_json___defs_env(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (str, int, float, Decimal, bool)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be string or number or boolean")
    return data

def validate_entry_schema_json___defs_scalar_map(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (str, int, float, Decimal, bool)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be string or number or boolean")
    return data

def validate_entry_schema_json___defs_protocols(data, custom_formats={}, name_prefix=None):
    data_any_of_count7 = 0
    if not data_any_of_count7:
        try:
            validate_entry_schema_json___defs_protocol_value(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count7 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count7:
        try:
            if not isinstance(data, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
            data_is_list = isinstance(data, (list, tuple))
            if data_is_list:
                data_len = len(data)
                if data_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain at least 1 items")
                for data_x, data_item in enumerate(data):
                    validate_entry_schema_json___defs_protocol_value(data_item, custom_formats, (name_prefix or "data") + "[{data_x}]".format(**locals()))
            data_any_of_count7 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count7:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_protocol_value(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if isinstance(data, str):
        if not REGEX_PATTERNS['^(?:[Gg][Rr][Pp][Cc]|[Hh][Tt][Tt][Pp]|[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt])$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^(?:[Gg][Rr][Pp][Cc]|[Hh][Tt][Tt][Pp]|[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt])$")
    return data

def validate_entry_schema_json___defs_ports(data, custom_formats={}, name_prefix=None):
    data_any_of_count8 = 0
    if not data_any_of_count8:
        try:
            validate_entry_schema_json___defs_port(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count8 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count8:
        try:
            if not isinstance(data, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
            data_is_list = isinstance(data, (list, tuple))
            if data_is_list:
                data_len = len(data)
                if data_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain at least 1 items")
                for data_x, data_item in enumerate(data):
                    validate_entry_schema_json___defs_port(data_item, custom_formats, (name_prefix or "data") + "[{data_x}]".format(**locals()))
            data_any_of_count8 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count8:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_port(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 1")
        if data > 65535:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be smaller than or equal to 65535")
    return data

def validate_entry_schema_json___defs_polling(data, custom_formats={}, name_prefix=None):
    data_any_of_count9 = 0
    if not data_any_of_count9:
        try:
            validate_entry_schema_json___defs_polling_value(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count9 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count9:
        try:
            if not isinstance(data, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data_keys = set(data.keys())
                for data_key in data_keys:
                    if data_key not in []:
                        data_value = data.get(data_key)
                        validate_entry_schema_json___defs_polling_value(data_value, custom_formats, (name_prefix or "data") + ".{data_key}".format(**locals()))
            data_any_of_count9 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count9:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_polling_value(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if isinstance(data, str):
        if not REGEX_PATTERNS['^(?:[Aa][Nn][Yy]|[Aa][Ll][Ll](?:_[Aa][Ss][Yy][Nn][Cc])?)$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^(?:[Aa][Nn][Yy]|[Aa][Ll][Ll](?:_[Aa][Ss][Yy][Nn][Cc])?)$")
    return data

def validate_entry_schema_json___defs_string_or_strings(data, custom_formats={}, name_prefix=None):
    data_any_of_count10 = 0
    if not data_any_of_count10:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            data_any_of_count10 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count10:
        try:
            if not isinstance(data, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
            data_is_list = isinstance(data, (list, tuple))
            if data_is_list:
                data_len = len(data)
                for data_x, data_item in enumerate(data):
                    if not isinstance(data_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + " must be string")
            data_any_of_count10 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count10:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_executor_schema_json___defs_dynamic_batching(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (dict)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be object")
                data_value_is_dict = isinstance(data_value, dict)
                if data_value_is_dict:
                    data_value_keys = set(data_value.keys())
                    if "preferred_batch_size" in data_value_keys:
                        data_value_keys.remove("preferred_batch_size")
                        data_value__preferredbatchsize = data_value["preferred_batch_size"]
                        if not isinstance(data_value__preferredbatchsize, (int)) and not (isinstance(data_value__preferredbatchsize, float) and data_value__preferredbatchsize.is_integer()) or isinstance(data_value__preferredbatchsize, bool):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.preferred_batch_size".format(**locals()) + " must be integer")
                        if isinstance(data_value__preferredbatchsize, (int, float, Decimal)) and not isinstance(data_value__preferredbatchsize, bool):
                            if data_value__preferredbatchsize < 1:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.preferred_batch_size".format(**locals()) + " must be bigger than or equal to 1")
                    if "timeout" in data_value_keys:
                        data_value_keys.remove("timeout")
                        data_value__timeout = data_value["timeout"]
                        if not isinstance(data_value__timeout, (int, float, Decimal)) or isinstance(data_value__timeout, bool):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.timeout".format(**locals()) + " must be number")
                        if isinstance(data_value__timeout, (int, float, Decimal)) and not isinstance(data_value__timeout, bool):
                            if data_value__timeout < 0:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.timeout".format(**locals()) + " must be bigger than or equal to 0")
                    if "flush_all" in data_value_keys:
                        data_value_keys.remove("flush_all")
                        data_value__flushall = data_value["flush_all"]
                        if not isinstance(data_value__flushall, (bool)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.flush_all".format(**locals()) + " must be boolean")
                    if "use_dynamic_batching" in data_value_keys:
                        data_value_keys.remove("use_dynamic_batching")
                        data_value__usedynamicbatching = data_value["use_dynamic_batching"]
                        if not isinstance(data_value__usedynamicbatching, (bool)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}.use_dynamic_batching".format(**locals()) + " must be boolean")
                    if data_value_keys:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must not contain "+str(data_value_keys)+" properties")
    return data

def validate_executor_schema_json___defs_requests(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (str)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be string")
                if isinstance(data_value, str):
                    data_value_len = len(data_value)
                    if data_value_len < 1:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be longer than or equal to 1 characters")
    return data

def validate_executor_schema_json___defs_metas(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string")
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            if not isinstance(data__description, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".description must be string")
        if "py_modules" in data_keys:
            data_keys.remove("py_modules")
            data__pymodules = data["py_modules"]
            validate_entry_schema_json___defs_string_or_strings(data__pymodules, custom_formats, (name_prefix or "data") + ".py_modules")
        if "workspace" in data_keys:
            data_keys.remove("workspace")
            data__workspace = data["workspace"]
            if not isinstance(data__workspace, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".workspace must be string")
    return data

def validate_entry_schema_json___defs_uses(data, custom_formats={}, name_prefix=None):
    data_any_of_count11 = 0
    if not data_any_of_count11:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            if isinstance(data, str):
                data_len = len(data)
                if data_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + " must be longer than or equal to 1 characters")
            data_any_of_count11 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count11:
        try:
            validate_executor_schema_json(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count11 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count11:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_executor_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['jtype']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain ")
        data_keys = set(data.keys())
        if "jtype" in data_keys:
            data_keys.remove("jtype")
            data__jtype = data["jtype"]
            if not isinstance(data__jtype, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".jtype must be string")
            if isinstance(data__jtype, str):
                data__jtype_len = len(data__jtype)
                if data__jtype_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".jtype must be longer than or equal to 1 characters")
        if "with" in data_keys:
            data_keys.remove("with")
            data__with = data["with"]
            if not isinstance(data__with, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".with must be object or null")
        if "metas" in data_keys:
            data_keys.remove("metas")
            data__metas = data["metas"]
            data__metas_any_of_count12 = 0
            if not data__metas_any_of_count12:
                try:
                    validate_executor_schema_json___defs_metas(data__metas, custom_formats, (name_prefix or "data") + ".metas")
                    data__metas_any_of_count12 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metas_any_of_count12:
                try:
                    if not isinstance(data__metas, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".metas must be null")
                    data__metas_any_of_count12 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metas_any_of_count12:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".metas cannot be validated by any definition")
        if "requests" in data_keys:
            data_keys.remove("requests")
            data__requests = data["requests"]
            data__requests_any_of_count13 = 0
            if not data__requests_any_of_count13:
                try:
                    validate_executor_schema_json___defs_requests(data__requests, custom_formats, (name_prefix or "data") + ".requests")
                    data__requests_any_of_count13 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__requests_any_of_count13:
                try:
                    if not isinstance(data__requests, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".requests must be null")
                    data__requests_any_of_count13 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__requests_any_of_count13:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".requests cannot be validated by any definition")
        if "dynamic_batching" in data_keys:
            data_keys.remove("dynamic_batching")
            data__dynamicbatching = data["dynamic_batching"]
            data__dynamicbatching_any_of_count14 = 0
            if not data__dynamicbatching_any_of_count14:
                try:
                    validate_executor_schema_json___defs_dynamic_batching(data__dynamicbatching, custom_formats, (name_prefix or "data") + ".dynamic_batching")
                    data__dynamicbatching_any_of_count14 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__dynamicbatching_any_of_count14:
                try:
                    if not isinstance(data__dynamicbatching, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".dynamic_batching must be null")
                    data__dynamicbatching_any_of_count14 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__dynamicbatching_any_of_count14:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".dynamic_batching cannot be validated by any definition")
        if "py_modules" in data_keys:
            data_keys.remove("py_modules")
            data__pymodules = data["py_modules"]
            validate_entry_schema_json___defs_string_or_strings(data__pymodules, custom_formats, (name_prefix or "data") + ".py_modules")
        if "components" in data_keys:
            data_keys.remove("components")
            data__components = data["components"]
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate____defs_gateway(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string")
        if "port" in data_keys:
            data_keys.remove("port")
            data__port = data["port"]
            validate_entry_schema_json___defs_ports(data__port, custom_formats, (name_prefix or "data") + ".port")
        if "port_expose" in data_keys:
            data_keys.remove("port_expose")
            data__portexpose = data["port_expose"]
            validate_entry_schema_json___defs_ports(data__portexpose, custom_formats, (name_prefix or "data") + ".port_expose")
        if "port_in" in data_keys:
            data_keys.remove("port_in")
            data__portin = data["port_in"]
            validate_entry_schema_json___defs_ports(data__portin, custom_formats, (name_prefix or "data") + ".port_in")
        if "protocol" in data_keys:
            data_keys.remove("protocol")
            data__protocol = data["protocol"]
            validate_entry_schema_json___defs_protocols(data__protocol, custom_formats, (name_prefix or "data") + ".protocol")
        if "host" in data_keys:
            data_keys.remove("host")
            data__host = data["host"]
            if not isinstance(data__host, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".host must be string")
        if "image" in data_keys:
            data_keys.remove("image")
            data__image = data["image"]
            if not isinstance(data__image, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".image must be string")
            if isinstance(data__image, str):
                data__image_len = len(data__image)
                if data__image_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".image must be longer than or equal to 1 characters")
        if "replicas" in data_keys:
            data_keys.remove("replicas")
            data__replicas = data["replicas"]
            if not isinstance(data__replicas, (int)) and not (isinstance(data__replicas, float) and data__replicas.is_integer()) or isinstance(data__replicas, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".replicas must be integer")
            if isinstance(data__replicas, (int, float, Decimal)) and not isinstance(data__replicas, bool):
                if data__replicas < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".replicas must be bigger than or equal to 1")
        if "reload" in data_keys:
            data_keys.remove("reload")
            data__reload = data["reload"]
            if not isinstance(data__reload, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".reload must be boolean")
        if "uses" in data_keys:
            data_keys.remove("uses")
            data__uses = data["uses"]
            if not isinstance(data__uses, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses must be string")
        if "uses_with" in data_keys:
            data_keys.remove("uses_with")
            data__useswith = data["uses_with"]
            if not isinstance(data__useswith, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_with must be object or null")
        if "py_modules" in data_keys:
            data_keys.remove("py_modules")
            data__pymodules = data["py_modules"]
            validate_entry_schema_json___defs_string_or_strings(data__pymodules, custom_formats, (name_prefix or "data") + ".py_modules")
        if "prefetch" in data_keys:
            data_keys.remove("prefetch")
            data__prefetch = data["prefetch"]
            if not isinstance(data__prefetch, (int)) and not (isinstance(data__prefetch, float) and data__prefetch.is_integer()) or isinstance(data__prefetch, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".prefetch must be integer")
            if isinstance(data__prefetch, (int, float, Decimal)) and not isinstance(data__prefetch, bool):
                if data__prefetch < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".prefetch must be bigger than or equal to 0")
        if "no_debug_endpoints" in data_keys:
            data_keys.remove("no_debug_endpoints")
            data__nodebugendpoints = data["no_debug_endpoints"]
            if not isinstance(data__nodebugendpoints, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".no_debug_endpoints must be boolean")
        if "no_crud_endpoints" in data_keys:
            data_keys.remove("no_crud_endpoints")
            data__nocrudendpoints = data["no_crud_endpoints"]
            if not isinstance(data__nocrudendpoints, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".no_crud_endpoints must be boolean")
        if "expose_endpoints" in data_keys:
            data_keys.remove("expose_endpoints")
            data__exposeendpoints = data["expose_endpoints"]
            if not isinstance(data__exposeendpoints, (str, dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".expose_endpoints must be string or object")
        if "expose_graphql_endpoint" in data_keys:
            data_keys.remove("expose_graphql_endpoint")
            data__exposegraphqlendpoint = data["expose_graphql_endpoint"]
            if not isinstance(data__exposegraphqlendpoint, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".expose_graphql_endpoint must be boolean")
        if "proxy" in data_keys:
            data_keys.remove("proxy")
            data__proxy = data["proxy"]
            if not isinstance(data__proxy, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".proxy must be boolean")
        if "stateful" in data_keys:
            data_keys.remove("stateful")
            data__stateful = data["stateful"]
            if not isinstance(data__stateful, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".stateful must be boolean")
        if "floating" in data_keys:
            data_keys.remove("floating")
            data__floating = data["floating"]
            if not isinstance(data__floating, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".floating must be boolean")
        if "compression" in data_keys:
            data_keys.remove("compression")
            data__compression = data["compression"]
            validate_entry_schema_json___defs_entry_properties_compression(data__compression, custom_formats, (name_prefix or "data") + ".compression")
        if "cors" in data_keys:
            data_keys.remove("cors")
            data__cors = data["cors"]
            validate_entry_schema_json___defs_entry_properties_cors(data__cors, custom_formats, (name_prefix or "data") + ".cors")
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            validate_entry_schema_json___defs_entry_properties_description(data__description, custom_formats, (name_prefix or "data") + ".description")
        if "docker_kwargs" in data_keys:
            data_keys.remove("docker_kwargs")
            data__dockerkwargs = data["docker_kwargs"]
            validate_entry_schema_json___defs_entry_properties_docker_kwargs(data__dockerkwargs, custom_formats, (name_prefix or "data") + ".docker_kwargs")
        if "entrypoint" in data_keys:
            data_keys.remove("entrypoint")
            data__entrypoint = data["entrypoint"]
            validate_entry_schema_json___defs_entry_properties_entrypoint(data__entrypoint, custom_formats, (name_prefix or "data") + ".entrypoint")
        if "env" in data_keys:
            data_keys.remove("env")
            data__env = data["env"]
            validate_entry_schema_json___defs_entry_properties_env(data__env, custom_formats, (name_prefix or "data") + ".env")
        if "env_from_secret" in data_keys:
            data_keys.remove("env_from_secret")
            data__envfromsecret = data["env_from_secret"]
            validate_entry_schema_json___defs_entry_properties_env_from_secret(data__envfromsecret, custom_formats, (name_prefix or "data") + ".env_from_secret")
        if "extra_search_paths" in data_keys:
            data_keys.remove("extra_search_paths")
            data__extrasearchpaths = data["extra_search_paths"]
            validate_entry_schema_json___defs_entry_properties_extra_search_paths(data__extrasearchpaths, custom_formats, (name_prefix or "data") + ".extra_search_paths")
        if "grpc_channel_options" in data_keys:
            data_keys.remove("grpc_channel_options")
            data__grpcchanneloptions = data["grpc_channel_options"]
            validate_entry_schema_json___defs_entry_properties_grpc_channel_options(data__grpcchanneloptions, custom_formats, (name_prefix or "data") + ".grpc_channel_options")
        if "grpc_server_options" in data_keys:
            data_keys.remove("grpc_server_options")
            data__grpcserveroptions = data["grpc_server_options"]
            validate_entry_schema_json___defs_entry_properties_grpc_server_options(data__grpcserveroptions, custom_formats, (name_prefix or "data") + ".grpc_server_options")
        if "image_pull_secrets" in data_keys:
            data_keys.remove("image_pull_secrets")
            data__imagepullsecrets = data["image_pull_secrets"]
            validate_entry_schema_json___defs_entry_properties_image_pull_secrets(data__imagepullsecrets, custom_formats, (name_prefix or "data") + ".image_pull_secrets")
        if "k8s_namespace" in data_keys:
            data_keys.remove("k8s_namespace")
            data__k8snamespace = data["k8s_namespace"]
            validate_entry_schema_json___defs_entry_properties_k8s_namespace(data__k8snamespace, custom_formats, (name_prefix or "data") + ".k8s_namespace")
        if "log_config" in data_keys:
            data_keys.remove("log_config")
            data__logconfig = data["log_config"]
            validate_entry_schema_json___defs_entry_properties_log_config(data__logconfig, custom_formats, (name_prefix or "data") + ".log_config")
        if "metrics" in data_keys:
            data_keys.remove("metrics")
            data__metrics = data["metrics"]
            validate_entry_schema_json___defs_entry_properties_metrics(data__metrics, custom_formats, (name_prefix or "data") + ".metrics")
        if "metrics_exporter_host" in data_keys:
            data_keys.remove("metrics_exporter_host")
            data__metricsexporterhost = data["metrics_exporter_host"]
            validate_entry_schema_json___defs_entry_properties_metrics_exporter_host(data__metricsexporterhost, custom_formats, (name_prefix or "data") + ".metrics_exporter_host")
        if "metrics_exporter_port" in data_keys:
            data_keys.remove("metrics_exporter_port")
            data__metricsexporterport = data["metrics_exporter_port"]
            validate_entry_schema_json___defs_entry_properties_metrics_exporter_port(data__metricsexporterport, custom_formats, (name_prefix or "data") + ".metrics_exporter_port")
        if "monitoring" in data_keys:
            data_keys.remove("monitoring")
            data__monitoring = data["monitoring"]
            validate_entry_schema_json___defs_entry_properties_monitoring(data__monitoring, custom_formats, (name_prefix or "data") + ".monitoring")
        if "peer_ports" in data_keys:
            data_keys.remove("peer_ports")
            data__peerports = data["peer_ports"]
            validate_entry_schema_json___defs_entry_properties_peer_ports(data__peerports, custom_formats, (name_prefix or "data") + ".peer_ports")
        if "port_monitoring" in data_keys:
            data_keys.remove("port_monitoring")
            data__portmonitoring = data["port_monitoring"]
            validate_entry_schema_json___defs_entry_properties_port_monitoring(data__portmonitoring, custom_formats, (name_prefix or "data") + ".port_monitoring")
        if "ports" in data_keys:
            data_keys.remove("ports")
            data__ports = data["ports"]
            validate_entry_schema_json___defs_entry_properties_ports(data__ports, custom_formats, (name_prefix or "data") + ".ports")
        if "protocols" in data_keys:
            data_keys.remove("protocols")
            data__protocols = data["protocols"]
            validate_entry_schema_json___defs_entry_properties_protocols(data__protocols, custom_formats, (name_prefix or "data") + ".protocols")
        if "provider" in data_keys:
            data_keys.remove("provider")
            data__provider = data["provider"]
            validate_entry_schema_json___defs_entry_properties_provider(data__provider, custom_formats, (name_prefix or "data") + ".provider")
        if "provider_endpoint" in data_keys:
            data_keys.remove("provider_endpoint")
            data__providerendpoint = data["provider_endpoint"]
            validate_entry_schema_json___defs_entry_properties_provider_endpoint(data__providerendpoint, custom_formats, (name_prefix or "data") + ".provider_endpoint")
        if "quiet" in data_keys:
            data_keys.remove("quiet")
            data__quiet = data["quiet"]
            validate_entry_schema_json___defs_entry_properties_quiet(data__quiet, custom_formats, (name_prefix or "data") + ".quiet")
        if "quiet_error" in data_keys:
            data_keys.remove("quiet_error")
            data__quieterror = data["quiet_error"]
            validate_entry_schema_json___defs_entry_properties_quiet_error(data__quieterror, custom_formats, (name_prefix or "data") + ".quiet_error")
        if "resources" in data_keys:
            data_keys.remove("resources")
            data__resources = data["resources"]
            validate_entry_schema_json___defs_entry_properties_resources(data__resources, custom_formats, (name_prefix or "data") + ".resources")
        if "retries" in data_keys:
            data_keys.remove("retries")
            data__retries = data["retries"]
            validate_entry_schema_json___defs_entry_properties_retries(data__retries, custom_formats, (name_prefix or "data") + ".retries")
        if "service_account" in data_keys:
            data_keys.remove("service_account")
            data__serviceaccount = data["service_account"]
            validate_entry_schema_json___defs_entry_properties_service_account(data__serviceaccount, custom_formats, (name_prefix or "data") + ".service_account")
        if "ssl_certfile" in data_keys:
            data_keys.remove("ssl_certfile")
            data__sslcertfile = data["ssl_certfile"]
            validate_entry_schema_json___defs_entry_properties_ssl_certfile(data__sslcertfile, custom_formats, (name_prefix or "data") + ".ssl_certfile")
        if "ssl_keyfile" in data_keys:
            data_keys.remove("ssl_keyfile")
            data__sslkeyfile = data["ssl_keyfile"]
            validate_entry_schema_json___defs_entry_properties_ssl_keyfile(data__sslkeyfile, custom_formats, (name_prefix or "data") + ".ssl_keyfile")
        if "targets" in data_keys:
            data_keys.remove("targets")
            data__targets = data["targets"]
            validate_entry_schema_json___defs_entry_properties_targets(data__targets, custom_formats, (name_prefix or "data") + ".targets")
        if "timeout_ctrl" in data_keys:
            data_keys.remove("timeout_ctrl")
            data__timeoutctrl = data["timeout_ctrl"]
            validate_entry_schema_json___defs_entry_properties_timeout_ctrl(data__timeoutctrl, custom_formats, (name_prefix or "data") + ".timeout_ctrl")
        if "timeout_ready" in data_keys:
            data_keys.remove("timeout_ready")
            data__timeoutready = data["timeout_ready"]
            validate_entry_schema_json___defs_entry_properties_timeout_ready(data__timeoutready, custom_formats, (name_prefix or "data") + ".timeout_ready")
        if "timeout_send" in data_keys:
            data_keys.remove("timeout_send")
            data__timeoutsend = data["timeout_send"]
            validate_entry_schema_json___defs_entry_properties_timeout_send(data__timeoutsend, custom_formats, (name_prefix or "data") + ".timeout_send")
        if "title" in data_keys:
            data_keys.remove("title")
            data__title = data["title"]
            validate_entry_schema_json___defs_entry_properties_title(data__title, custom_formats, (name_prefix or "data") + ".title")
        if "traces_exporter_host" in data_keys:
            data_keys.remove("traces_exporter_host")
            data__tracesexporterhost = data["traces_exporter_host"]
            validate_entry_schema_json___defs_entry_properties_traces_exporter_host(data__tracesexporterhost, custom_formats, (name_prefix or "data") + ".traces_exporter_host")
        if "traces_exporter_port" in data_keys:
            data_keys.remove("traces_exporter_port")
            data__tracesexporterport = data["traces_exporter_port"]
            validate_entry_schema_json___defs_entry_properties_traces_exporter_port(data__tracesexporterport, custom_formats, (name_prefix or "data") + ".traces_exporter_port")
        if "tracing" in data_keys:
            data_keys.remove("tracing")
            data__tracing = data["tracing"]
            validate_entry_schema_json___defs_entry_properties_tracing(data__tracing, custom_formats, (name_prefix or "data") + ".tracing")
        if "uvicorn_kwargs" in data_keys:
            data_keys.remove("uvicorn_kwargs")
            data__uvicornkwargs = data["uvicorn_kwargs"]
            validate_entry_schema_json___defs_entry_properties_uvicorn_kwargs(data__uvicornkwargs, custom_formats, (name_prefix or "data") + ".uvicorn_kwargs")
        if "workspace" in data_keys:
            data_keys.remove("workspace")
            data__workspace = data["workspace"]
            validate_entry_schema_json___defs_entry_properties_workspace(data__workspace, custom_formats, (name_prefix or "data") + ".workspace")
        if "workspace_id" in data_keys:
            data_keys.remove("workspace_id")
            data__workspaceid = data["workspace_id"]
            validate_entry_schema_json___defs_entry_properties_workspace_id(data__workspaceid, custom_formats, (name_prefix or "data") + ".workspace_id")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_entry_properties_workspace_id(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_workspace(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_uvicorn_kwargs(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    return data

def validate_entry_schema_json___defs_entry_properties_tracing(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_traces_exporter_port(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    return data

def validate_entry_schema_json___defs_entry_properties_traces_exporter_host(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_title(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_timeout_send(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int, NoneType)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer or null")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < -1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to -1")
    return data

def validate_entry_schema_json___defs_entry_properties_timeout_ready(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < -1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to -1")
    return data

def validate_entry_schema_json___defs_entry_properties_timeout_ctrl(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    return data

def validate_entry_schema_json___defs_entry_properties_targets(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_targets(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_ssl_keyfile(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_ssl_certfile(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_service_account(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if isinstance(data, str):
        data_len = len(data)
        if data_len < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be longer than or equal to 1 characters")
    return data

def validate_entry_schema_json___defs_entry_properties_retries(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < -1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to -1")
    return data

def validate_entry_schema_json___defs_entry_properties_resources(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_resources(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_quiet_error(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_quiet(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_provider_endpoint(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_provider(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_provider(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_protocols(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_protocols(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_ports(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_ports(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_port_monitoring(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_ports(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_peer_ports(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int, list, tuple, dict, str)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer or array or object or string")
    return data

def validate_entry_schema_json___defs_entry_properties_monitoring(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_metrics_exporter_port(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    return data

def validate_entry_schema_json___defs_entry_properties_metrics_exporter_host(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_metrics(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_log_config(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_k8s_namespace(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_image_pull_secrets(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_grpc_server_options(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_scalar_map(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_grpc_channel_options(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_scalar_map(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_extra_search_paths(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_env_from_secret(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_env_from_secret(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_env(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_env(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_entrypoint(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_docker_kwargs(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    return data

def validate_entry_schema_json___defs_entry_properties_description(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_cors(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_compression(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, NoneType)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or null")
    if not (isinstance(data, str) and data == 'NoCompression' or isinstance(data, str) and data == 'Deflate' or isinstance(data, str) and data == 'Gzip' or data is None):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be one of ['NoCompression', 'Deflate', 'Gzip', None]")
    return data

def validate____defs_flow_with(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string")
        if "workspace" in data_keys:
            data_keys.remove("workspace")
            data__workspace = data["workspace"]
            if not isinstance(data__workspace, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".workspace must be string")
        if "suppress_root_logging" in data_keys:
            data_keys.remove("suppress_root_logging")
            data__suppressrootlogging = data["suppress_root_logging"]
            if not isinstance(data__suppressrootlogging, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".suppress_root_logging must be boolean")
        if "uses" in data_keys:
            data_keys.remove("uses")
            data__uses = data["uses"]
            if not isinstance(data__uses, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses must be string")
        if "uses_with" in data_keys:
            data_keys.remove("uses_with")
            data__useswith = data["uses_with"]
            if not isinstance(data__useswith, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".uses_with must be object or null")
        if "reload" in data_keys:
            data_keys.remove("reload")
            data__reload = data["reload"]
            if not isinstance(data__reload, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".reload must be boolean")
        if "env" in data_keys:
            data_keys.remove("env")
            data__env = data["env"]
            validate_entry_schema_json___defs_env(data__env, custom_formats, (name_prefix or "data") + ".env")
        if "inspect" in data_keys:
            data_keys.remove("inspect")
            data__inspect = data["inspect"]
            if not isinstance(data__inspect, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inspect must be string")
            if not (isinstance(data__inspect, str) and data__inspect == 'HANG' or isinstance(data__inspect, str) and data__inspect == 'REMOVE' or isinstance(data__inspect, str) and data__inspect == 'COLLECT'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inspect must be one of ['HANG', 'REMOVE', 'COLLECT']")
        if "port" in data_keys:
            data_keys.remove("port")
            data__port = data["port"]
            validate_entry_schema_json___defs_ports(data__port, custom_formats, (name_prefix or "data") + ".port")
        if "protocol" in data_keys:
            data_keys.remove("protocol")
            data__protocol = data["protocol"]
            validate_entry_schema_json___defs_protocols(data__protocol, custom_formats, (name_prefix or "data") + ".protocol")
        if "prefetch" in data_keys:
            data_keys.remove("prefetch")
            data__prefetch = data["prefetch"]
            validate____defs_gateway_properties_prefetch(data__prefetch, custom_formats, (name_prefix or "data") + ".prefetch")
        if "no_debug_endpoints" in data_keys:
            data_keys.remove("no_debug_endpoints")
            data__nodebugendpoints = data["no_debug_endpoints"]
            validate____defs_gateway_properties_no_debug_endpoints(data__nodebugendpoints, custom_formats, (name_prefix or "data") + ".no_debug_endpoints")
        if "no_crud_endpoints" in data_keys:
            data_keys.remove("no_crud_endpoints")
            data__nocrudendpoints = data["no_crud_endpoints"]
            validate____defs_gateway_properties_no_crud_endpoints(data__nocrudendpoints, custom_formats, (name_prefix or "data") + ".no_crud_endpoints")
        if "expose_endpoints" in data_keys:
            data_keys.remove("expose_endpoints")
            data__exposeendpoints = data["expose_endpoints"]
            validate____defs_gateway_properties_expose_endpoints(data__exposeendpoints, custom_formats, (name_prefix or "data") + ".expose_endpoints")
        if "expose_graphql_endpoint" in data_keys:
            data_keys.remove("expose_graphql_endpoint")
            data__exposegraphqlendpoint = data["expose_graphql_endpoint"]
            validate____defs_gateway_properties_expose_graphql_endpoint(data__exposegraphqlendpoint, custom_formats, (name_prefix or "data") + ".expose_graphql_endpoint")
        if "proxy" in data_keys:
            data_keys.remove("proxy")
            data__proxy = data["proxy"]
            validate____defs_gateway_properties_proxy(data__proxy, custom_formats, (name_prefix or "data") + ".proxy")
        if "allow_concurrent" in data_keys:
            data_keys.remove("allow_concurrent")
            data__allowconcurrent = data["allow_concurrent"]
            validate_entry_schema_json___defs_entry_properties_allow_concurrent(data__allowconcurrent, custom_formats, (name_prefix or "data") + ".allow_concurrent")
        if "compression" in data_keys:
            data_keys.remove("compression")
            data__compression = data["compression"]
            validate_entry_schema_json___defs_entry_properties_compression(data__compression, custom_formats, (name_prefix or "data") + ".compression")
        if "cors" in data_keys:
            data_keys.remove("cors")
            data__cors = data["cors"]
            validate_entry_schema_json___defs_entry_properties_cors(data__cors, custom_formats, (name_prefix or "data") + ".cors")
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            validate_entry_schema_json___defs_entry_properties_description(data__description, custom_formats, (name_prefix or "data") + ".description")
        if "disable_auto_volume" in data_keys:
            data_keys.remove("disable_auto_volume")
            data__disableautovolume = data["disable_auto_volume"]
            validate_entry_schema_json___defs_entry_properties_disable_auto_volume(data__disableautovolume, custom_formats, (name_prefix or "data") + ".disable_auto_volume")
        if "disable_reduce" in data_keys:
            data_keys.remove("disable_reduce")
            data__disablereduce = data["disable_reduce"]
            validate_entry_schema_json___defs_entry_properties_disable_reduce(data__disablereduce, custom_formats, (name_prefix or "data") + ".disable_reduce")
        if "docker_kwargs" in data_keys:
            data_keys.remove("docker_kwargs")
            data__dockerkwargs = data["docker_kwargs"]
            validate_entry_schema_json___defs_entry_properties_docker_kwargs(data__dockerkwargs, custom_formats, (name_prefix or "data") + ".docker_kwargs")
        if "entrypoint" in data_keys:
            data_keys.remove("entrypoint")
            data__entrypoint = data["entrypoint"]
            validate_entry_schema_json___defs_entry_properties_entrypoint(data__entrypoint, custom_formats, (name_prefix or "data") + ".entrypoint")
        if "env_from_secret" in data_keys:
            data_keys.remove("env_from_secret")
            data__envfromsecret = data["env_from_secret"]
            validate_entry_schema_json___defs_entry_properties_env_from_secret(data__envfromsecret, custom_formats, (name_prefix or "data") + ".env_from_secret")
        if "exit_on_exceptions" in data_keys:
            data_keys.remove("exit_on_exceptions")
            data__exitonexceptions = data["exit_on_exceptions"]
            validate_entry_schema_json___defs_entry_properties_exit_on_exceptions(data__exitonexceptions, custom_formats, (name_prefix or "data") + ".exit_on_exceptions")
        if "external" in data_keys:
            data_keys.remove("external")
            data__external = data["external"]
            validate_entry_schema_json___defs_entry_properties_external(data__external, custom_formats, (name_prefix or "data") + ".external")
        if "extra_search_paths" in data_keys:
            data_keys.remove("extra_search_paths")
            data__extrasearchpaths = data["extra_search_paths"]
            validate_entry_schema_json___defs_entry_properties_extra_search_paths(data__extrasearchpaths, custom_formats, (name_prefix or "data") + ".extra_search_paths")
        if "floating" in data_keys:
            data_keys.remove("floating")
            data__floating = data["floating"]
            validate_entry_schema_json___defs_entry_properties_floating(data__floating, custom_formats, (name_prefix or "data") + ".floating")
        if "force" in data_keys:
            data_keys.remove("force")
            data__force = data["force"]
            validate_entry_schema_json___defs_entry_properties_force(data__force, custom_formats, (name_prefix or "data") + ".force")
        if "force_network_mode" in data_keys:
            data_keys.remove("force_network_mode")
            data__forcenetworkmode = data["force_network_mode"]
            validate_entry_schema_json___defs_entry_properties_force_network_mode(data__forcenetworkmode, custom_formats, (name_prefix or "data") + ".force_network_mode")
        if "force_update" in data_keys:
            data_keys.remove("force_update")
            data__forceupdate = data["force_update"]
            validate_entry_schema_json___defs_entry_properties_force_update(data__forceupdate, custom_formats, (name_prefix or "data") + ".force_update")
        if "gpus" in data_keys:
            data_keys.remove("gpus")
            data__gpus = data["gpus"]
            validate_entry_schema_json___defs_entry_properties_gpus(data__gpus, custom_formats, (name_prefix or "data") + ".gpus")
        if "grpc_channel_options" in data_keys:
            data_keys.remove("grpc_channel_options")
            data__grpcchanneloptions = data["grpc_channel_options"]
            validate_entry_schema_json___defs_entry_properties_grpc_channel_options(data__grpcchanneloptions, custom_formats, (name_prefix or "data") + ".grpc_channel_options")
        if "grpc_metadata" in data_keys:
            data_keys.remove("grpc_metadata")
            data__grpcmetadata = data["grpc_metadata"]
            validate_entry_schema_json___defs_entry_properties_grpc_metadata(data__grpcmetadata, custom_formats, (name_prefix or "data") + ".grpc_metadata")
        if "grpc_server_options" in data_keys:
            data_keys.remove("grpc_server_options")
            data__grpcserveroptions = data["grpc_server_options"]
            validate_entry_schema_json___defs_entry_properties_grpc_server_options(data__grpcserveroptions, custom_formats, (name_prefix or "data") + ".grpc_server_options")
        if "host" in data_keys:
            data_keys.remove("host")
            data__host = data["host"]
            validate_entry_schema_json___defs_entry_properties_host(data__host, custom_formats, (name_prefix or "data") + ".host")
        if "host_in" in data_keys:
            data_keys.remove("host_in")
            data__hostin = data["host_in"]
            validate_entry_schema_json___defs_entry_properties_host_in(data__hostin, custom_formats, (name_prefix or "data") + ".host_in")
        if "image_pull_secrets" in data_keys:
            data_keys.remove("image_pull_secrets")
            data__imagepullsecrets = data["image_pull_secrets"]
            validate_entry_schema_json___defs_entry_properties_image_pull_secrets(data__imagepullsecrets, custom_formats, (name_prefix or "data") + ".image_pull_secrets")
        if "install_requirements" in data_keys:
            data_keys.remove("install_requirements")
            data__installrequirements = data["install_requirements"]
            validate_entry_schema_json___defs_entry_properties_install_requirements(data__installrequirements, custom_formats, (name_prefix or "data") + ".install_requirements")
        if "k8s_namespace" in data_keys:
            data_keys.remove("k8s_namespace")
            data__k8snamespace = data["k8s_namespace"]
            validate_entry_schema_json___defs_entry_properties_k8s_namespace(data__k8snamespace, custom_formats, (name_prefix or "data") + ".k8s_namespace")
        if "log_config" in data_keys:
            data_keys.remove("log_config")
            data__logconfig = data["log_config"]
            validate_entry_schema_json___defs_entry_properties_log_config(data__logconfig, custom_formats, (name_prefix or "data") + ".log_config")
        if "metrics" in data_keys:
            data_keys.remove("metrics")
            data__metrics = data["metrics"]
            validate_entry_schema_json___defs_entry_properties_metrics(data__metrics, custom_formats, (name_prefix or "data") + ".metrics")
        if "metrics_exporter_host" in data_keys:
            data_keys.remove("metrics_exporter_host")
            data__metricsexporterhost = data["metrics_exporter_host"]
            validate_entry_schema_json___defs_entry_properties_metrics_exporter_host(data__metricsexporterhost, custom_formats, (name_prefix or "data") + ".metrics_exporter_host")
        if "metrics_exporter_port" in data_keys:
            data_keys.remove("metrics_exporter_port")
            data__metricsexporterport = data["metrics_exporter_port"]
            validate_entry_schema_json___defs_entry_properties_metrics_exporter_port(data__metricsexporterport, custom_formats, (name_prefix or "data") + ".metrics_exporter_port")
        if "monitoring" in data_keys:
            data_keys.remove("monitoring")
            data__monitoring = data["monitoring"]
            validate_entry_schema_json___defs_entry_properties_monitoring(data__monitoring, custom_formats, (name_prefix or "data") + ".monitoring")
        if "native" in data_keys:
            data_keys.remove("native")
            data__native = data["native"]
            validate_entry_schema_json___defs_entry_properties_native(data__native, custom_formats, (name_prefix or "data") + ".native")
        if "no_reduce" in data_keys:
            data_keys.remove("no_reduce")
            data__noreduce = data["no_reduce"]
            validate_entry_schema_json___defs_entry_properties_no_reduce(data__noreduce, custom_formats, (name_prefix or "data") + ".no_reduce")
        if "output_array_type" in data_keys:
            data_keys.remove("output_array_type")
            data__outputarraytype = data["output_array_type"]
            validate_entry_schema_json___defs_entry_properties_output_array_type(data__outputarraytype, custom_formats, (name_prefix or "data") + ".output_array_type")
        if "peer_ports" in data_keys:
            data_keys.remove("peer_ports")
            data__peerports = data["peer_ports"]
            validate_entry_schema_json___defs_entry_properties_peer_ports(data__peerports, custom_formats, (name_prefix or "data") + ".peer_ports")
        if "placement" in data_keys:
            data_keys.remove("placement")
            data__placement = data["placement"]
            validate_entry_schema_json___defs_entry_properties_placement(data__placement, custom_formats, (name_prefix or "data") + ".placement")
        if "polling" in data_keys:
            data_keys.remove("polling")
            data__polling = data["polling"]
            validate_entry_schema_json___defs_entry_properties_polling(data__polling, custom_formats, (name_prefix or "data") + ".polling")
        if "port_monitoring" in data_keys:
            data_keys.remove("port_monitoring")
            data__portmonitoring = data["port_monitoring"]
            validate_entry_schema_json___defs_entry_properties_port_monitoring(data__portmonitoring, custom_formats, (name_prefix or "data") + ".port_monitoring")
        if "ports" in data_keys:
            data_keys.remove("ports")
            data__ports = data["ports"]
            validate_entry_schema_json___defs_entry_properties_ports(data__ports, custom_formats, (name_prefix or "data") + ".ports")
        if "prefer_platform" in data_keys:
            data_keys.remove("prefer_platform")
            data__preferplatform = data["prefer_platform"]
            validate_entry_schema_json___defs_entry_properties_prefer_platform(data__preferplatform, custom_formats, (name_prefix or "data") + ".prefer_platform")
        if "protocols" in data_keys:
            data_keys.remove("protocols")
            data__protocols = data["protocols"]
            validate_entry_schema_json___defs_entry_properties_protocols(data__protocols, custom_formats, (name_prefix or "data") + ".protocols")
        if "provider" in data_keys:
            data_keys.remove("provider")
            data__provider = data["provider"]
            validate_entry_schema_json___defs_entry_properties_provider(data__provider, custom_formats, (name_prefix or "data") + ".provider")
        if "provider_endpoint" in data_keys:
            data_keys.remove("provider_endpoint")
            data__providerendpoint = data["provider_endpoint"]
            validate_entry_schema_json___defs_entry_properties_provider_endpoint(data__providerendpoint, custom_formats, (name_prefix or "data") + ".provider_endpoint")
        if "py_modules" in data_keys:
            data_keys.remove("py_modules")
            data__pymodules = data["py_modules"]
            validate_entry_schema_json___defs_entry_properties_py_modules(data__pymodules, custom_formats, (name_prefix or "data") + ".py_modules")
        if "quiet" in data_keys:
            data_keys.remove("quiet")
            data__quiet = data["quiet"]
            validate_entry_schema_json___defs_entry_properties_quiet(data__quiet, custom_formats, (name_prefix or "data") + ".quiet")
        if "quiet_error" in data_keys:
            data_keys.remove("quiet_error")
            data__quieterror = data["quiet_error"]
            validate_entry_schema_json___defs_entry_properties_quiet_error(data__quieterror, custom_formats, (name_prefix or "data") + ".quiet_error")
        if "raft_configuration" in data_keys:
            data_keys.remove("raft_configuration")
            data__raftconfiguration = data["raft_configuration"]
            validate_entry_schema_json___defs_entry_properties_raft_configuration(data__raftconfiguration, custom_formats, (name_prefix or "data") + ".raft_configuration")
        if "replicas" in data_keys:
            data_keys.remove("replicas")
            data__replicas = data["replicas"]
            validate_entry_schema_json___defs_entry_properties_replicas(data__replicas, custom_formats, (name_prefix or "data") + ".replicas")
        if "resources" in data_keys:
            data_keys.remove("resources")
            data__resources = data["resources"]
            validate_entry_schema_json___defs_entry_properties_resources(data__resources, custom_formats, (name_prefix or "data") + ".resources")
        if "restart" in data_keys:
            data_keys.remove("restart")
            data__restart = data["restart"]
            validate_entry_schema_json___defs_entry_properties_restart(data__restart, custom_formats, (name_prefix or "data") + ".restart")
        if "retries" in data_keys:
            data_keys.remove("retries")
            data__retries = data["retries"]
            validate_entry_schema_json___defs_entry_properties_retries(data__retries, custom_formats, (name_prefix or "data") + ".retries")
        if "runtime_cls" in data_keys:
            data_keys.remove("runtime_cls")
            data__runtimecls = data["runtime_cls"]
            validate_entry_schema_json___defs_entry_properties_runtime_cls(data__runtimecls, custom_formats, (name_prefix or "data") + ".runtime_cls")
        if "service_account" in data_keys:
            data_keys.remove("service_account")
            data__serviceaccount = data["service_account"]
            validate_entry_schema_json___defs_entry_properties_service_account(data__serviceaccount, custom_formats, (name_prefix or "data") + ".service_account")
        if "shards" in data_keys:
            data_keys.remove("shards")
            data__shards = data["shards"]
            validate_entry_schema_json___defs_entry_properties_shards(data__shards, custom_formats, (name_prefix or "data") + ".shards")
        if "ssl_certfile" in data_keys:
            data_keys.remove("ssl_certfile")
            data__sslcertfile = data["ssl_certfile"]
            validate_entry_schema_json___defs_entry_properties_ssl_certfile(data__sslcertfile, custom_formats, (name_prefix or "data") + ".ssl_certfile")
        if "ssl_keyfile" in data_keys:
            data_keys.remove("ssl_keyfile")
            data__sslkeyfile = data["ssl_keyfile"]
            validate_entry_schema_json___defs_entry_properties_ssl_keyfile(data__sslkeyfile, custom_formats, (name_prefix or "data") + ".ssl_keyfile")
        if "stateful" in data_keys:
            data_keys.remove("stateful")
            data__stateful = data["stateful"]
            validate_entry_schema_json___defs_entry_properties_stateful(data__stateful, custom_formats, (name_prefix or "data") + ".stateful")
        if "targets" in data_keys:
            data_keys.remove("targets")
            data__targets = data["targets"]
            validate_entry_schema_json___defs_entry_properties_targets(data__targets, custom_formats, (name_prefix or "data") + ".targets")
        if "timeout_ctrl" in data_keys:
            data_keys.remove("timeout_ctrl")
            data__timeoutctrl = data["timeout_ctrl"]
            validate_entry_schema_json___defs_entry_properties_timeout_ctrl(data__timeoutctrl, custom_formats, (name_prefix or "data") + ".timeout_ctrl")
        if "timeout_ready" in data_keys:
            data_keys.remove("timeout_ready")
            data__timeoutready = data["timeout_ready"]
            validate_entry_schema_json___defs_entry_properties_timeout_ready(data__timeoutready, custom_formats, (name_prefix or "data") + ".timeout_ready")
        if "timeout_send" in data_keys:
            data_keys.remove("timeout_send")
            data__timeoutsend = data["timeout_send"]
            validate_entry_schema_json___defs_entry_properties_timeout_send(data__timeoutsend, custom_formats, (name_prefix or "data") + ".timeout_send")
        if "title" in data_keys:
            data_keys.remove("title")
            data__title = data["title"]
            validate_entry_schema_json___defs_entry_properties_title(data__title, custom_formats, (name_prefix or "data") + ".title")
        if "tls" in data_keys:
            data_keys.remove("tls")
            data__tls = data["tls"]
            validate_entry_schema_json___defs_entry_properties_tls(data__tls, custom_formats, (name_prefix or "data") + ".tls")
        if "traces_exporter_host" in data_keys:
            data_keys.remove("traces_exporter_host")
            data__tracesexporterhost = data["traces_exporter_host"]
            validate_entry_schema_json___defs_entry_properties_traces_exporter_host(data__tracesexporterhost, custom_formats, (name_prefix or "data") + ".traces_exporter_host")
        if "traces_exporter_port" in data_keys:
            data_keys.remove("traces_exporter_port")
            data__tracesexporterport = data["traces_exporter_port"]
            validate_entry_schema_json___defs_entry_properties_traces_exporter_port(data__tracesexporterport, custom_formats, (name_prefix or "data") + ".traces_exporter_port")
        if "tracing" in data_keys:
            data_keys.remove("tracing")
            data__tracing = data["tracing"]
            validate_entry_schema_json___defs_entry_properties_tracing(data__tracing, custom_formats, (name_prefix or "data") + ".tracing")
        if "uses_after" in data_keys:
            data_keys.remove("uses_after")
            data__usesafter = data["uses_after"]
            validate_entry_schema_json___defs_entry_properties_uses_after(data__usesafter, custom_formats, (name_prefix or "data") + ".uses_after")
        if "uses_after_address" in data_keys:
            data_keys.remove("uses_after_address")
            data__usesafteraddress = data["uses_after_address"]
            validate_entry_schema_json___defs_entry_properties_uses_after_address(data__usesafteraddress, custom_formats, (name_prefix or "data") + ".uses_after_address")
        if "uses_before" in data_keys:
            data_keys.remove("uses_before")
            data__usesbefore = data["uses_before"]
            validate_entry_schema_json___defs_entry_properties_uses_before(data__usesbefore, custom_formats, (name_prefix or "data") + ".uses_before")
        if "uses_before_address" in data_keys:
            data_keys.remove("uses_before_address")
            data__usesbeforeaddress = data["uses_before_address"]
            validate_entry_schema_json___defs_entry_properties_uses_before_address(data__usesbeforeaddress, custom_formats, (name_prefix or "data") + ".uses_before_address")
        if "uses_dynamic_batching" in data_keys:
            data_keys.remove("uses_dynamic_batching")
            data__usesdynamicbatching = data["uses_dynamic_batching"]
            validate_entry_schema_json___defs_entry_properties_uses_dynamic_batching(data__usesdynamicbatching, custom_formats, (name_prefix or "data") + ".uses_dynamic_batching")
        if "uses_metas" in data_keys:
            data_keys.remove("uses_metas")
            data__usesmetas = data["uses_metas"]
            validate_entry_schema_json___defs_entry_properties_uses_metas(data__usesmetas, custom_formats, (name_prefix or "data") + ".uses_metas")
        if "uses_requests" in data_keys:
            data_keys.remove("uses_requests")
            data__usesrequests = data["uses_requests"]
            validate_entry_schema_json___defs_entry_properties_uses_requests(data__usesrequests, custom_formats, (name_prefix or "data") + ".uses_requests")
        if "uvicorn_kwargs" in data_keys:
            data_keys.remove("uvicorn_kwargs")
            data__uvicornkwargs = data["uvicorn_kwargs"]
            validate_entry_schema_json___defs_entry_properties_uvicorn_kwargs(data__uvicornkwargs, custom_formats, (name_prefix or "data") + ".uvicorn_kwargs")
        if "volumes" in data_keys:
            data_keys.remove("volumes")
            data__volumes = data["volumes"]
            validate_entry_schema_json___defs_entry_properties_volumes(data__volumes, custom_formats, (name_prefix or "data") + ".volumes")
        if "workspace_id" in data_keys:
            data_keys.remove("workspace_id")
            data__workspaceid = data["workspace_id"]
            validate_entry_schema_json___defs_entry_properties_workspace_id(data__workspaceid, custom_formats, (name_prefix or "data") + ".workspace_id")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_entry_properties_volumes(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_requests(data, custom_formats={}, name_prefix=None):
    data_any_of_count15 = 0
    if not data_any_of_count15:
        try:
            validate_executor_schema_json___defs_requests(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count15 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count15:
        try:
            if not isinstance(data, (NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be null")
            data_any_of_count15 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count15:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_metas(data, custom_formats={}, name_prefix=None):
    data_any_of_count16 = 0
    if not data_any_of_count16:
        try:
            validate_executor_schema_json___defs_metas(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count16 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count16:
        try:
            if not isinstance(data, (NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be null")
            data_any_of_count16 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count16:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_dynamic_batching(data, custom_formats={}, name_prefix=None):
    data_any_of_count17 = 0
    if not data_any_of_count17:
        try:
            validate_executor_schema_json___defs_dynamic_batching(data, custom_formats, (name_prefix or "data") + "")
            data_any_of_count17 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count17:
        try:
            if not isinstance(data, (NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be null")
            data_any_of_count17 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count17:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_before_address(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_before(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_uses(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_after_address(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_uses_after(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_uses(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_tls(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_stateful(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_shards(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 1")
    return data

def validate_entry_schema_json___defs_entry_properties_runtime_cls(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_restart(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_replicas(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 1")
    return data

def validate_entry_schema_json___defs_entry_properties_raft_configuration(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "heartbeat_timeout" in data_keys:
            data_keys.remove("heartbeat_timeout")
            data__heartbeattimeout = data["heartbeat_timeout"]
            if not isinstance(data__heartbeattimeout, (int)) and not (isinstance(data__heartbeattimeout, float) and data__heartbeattimeout.is_integer()) or isinstance(data__heartbeattimeout, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".heartbeat_timeout must be integer")
            if isinstance(data__heartbeattimeout, (int, float, Decimal)) and not isinstance(data__heartbeattimeout, bool):
                if data__heartbeattimeout < 10:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".heartbeat_timeout must be bigger than or equal to 10")
        if "leader_lease_timeout" in data_keys:
            data_keys.remove("leader_lease_timeout")
            data__leaderleasetimeout = data["leader_lease_timeout"]
            if not isinstance(data__leaderleasetimeout, (int)) and not (isinstance(data__leaderleasetimeout, float) and data__leaderleasetimeout.is_integer()) or isinstance(data__leaderleasetimeout, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".leader_lease_timeout must be integer")
            if isinstance(data__leaderleasetimeout, (int, float, Decimal)) and not isinstance(data__leaderleasetimeout, bool):
                if data__leaderleasetimeout < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".leader_lease_timeout must be bigger than or equal to 1")
        if "snapshot_threshold" in data_keys:
            data_keys.remove("snapshot_threshold")
            data__snapshotthreshold = data["snapshot_threshold"]
            if not isinstance(data__snapshotthreshold, (int)) and not (isinstance(data__snapshotthreshold, float) and data__snapshotthreshold.is_integer()) or isinstance(data__snapshotthreshold, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".snapshot_threshold must be integer")
            if isinstance(data__snapshotthreshold, (int, float, Decimal)) and not isinstance(data__snapshotthreshold, bool):
                if data__snapshotthreshold < 2:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".snapshot_threshold must be bigger than or equal to 2")
        if "snapshot_interval" in data_keys:
            data_keys.remove("snapshot_interval")
            data__snapshotinterval = data["snapshot_interval"]
            if not isinstance(data__snapshotinterval, (int)) and not (isinstance(data__snapshotinterval, float) and data__snapshotinterval.is_integer()) or isinstance(data__snapshotinterval, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".snapshot_interval must be integer")
            if isinstance(data__snapshotinterval, (int, float, Decimal)) and not isinstance(data__snapshotinterval, bool):
                if data__snapshotinterval < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".snapshot_interval must be bigger than or equal to 1")
        if "log_level" in data_keys:
            data_keys.remove("log_level")
            data__loglevel = data["log_level"]
            if not isinstance(data__loglevel, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".log_level must be string")
            if not (isinstance(data__loglevel, str) and data__loglevel == 'TRACE' or isinstance(data__loglevel, str) and data__loglevel == 'DEBUG' or isinstance(data__loglevel, str) and data__loglevel == 'INFO' or isinstance(data__loglevel, str) and data__loglevel == 'WARN' or isinstance(data__loglevel, str) and data__loglevel == 'WARNING' or isinstance(data__loglevel, str) and data__loglevel == 'ERROR' or isinstance(data__loglevel, str) and data__loglevel == 'OFF'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".log_level must be one of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'OFF']")
        if "password_from_secret" in data_keys:
            data_keys.remove("password_from_secret")
            data__passwordfromsecret = data["password_from_secret"]
            if not isinstance(data__passwordfromsecret, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".password_from_secret must be string")
            if isinstance(data__passwordfromsecret, str):
                data__passwordfromsecret_len = len(data__passwordfromsecret)
                if data__passwordfromsecret_len > 253:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".password_from_secret must be shorter than or equal to 253 characters")
                if not REGEX_PATTERNS['^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'].search(data__passwordfromsecret):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".password_from_secret must match pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        if "election_timeout" in data_keys:
            data_keys.remove("election_timeout")
            data__electiontimeout = data["election_timeout"]
            if not isinstance(data__electiontimeout, (int)) and not (isinstance(data__electiontimeout, float) and data__electiontimeout.is_integer()) or isinstance(data__electiontimeout, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".election_timeout must be integer")
            if isinstance(data__electiontimeout, (int, float, Decimal)) and not isinstance(data__electiontimeout, bool):
                if data__electiontimeout < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".election_timeout must be bigger than or equal to 1")
        if "commit_timeout" in data_keys:
            data_keys.remove("commit_timeout")
            data__committimeout = data["commit_timeout"]
            if not isinstance(data__committimeout, (int)) and not (isinstance(data__committimeout, float) and data__committimeout.is_integer()) or isinstance(data__committimeout, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".commit_timeout must be integer")
            if isinstance(data__committimeout, (int, float, Decimal)) and not isinstance(data__committimeout, bool):
                if data__committimeout < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".commit_timeout must be bigger than or equal to 1")
        if "max_append_entries" in data_keys:
            data_keys.remove("max_append_entries")
            data__maxappendentries = data["max_append_entries"]
            if not isinstance(data__maxappendentries, (int)) and not (isinstance(data__maxappendentries, float) and data__maxappendentries.is_integer()) or isinstance(data__maxappendentries, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".max_append_entries must be integer")
            if isinstance(data__maxappendentries, (int, float, Decimal)) and not isinstance(data__maxappendentries, bool):
                if data__maxappendentries < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".max_append_entries must be bigger than or equal to 1")
        if "batch_apply_ch" in data_keys:
            data_keys.remove("batch_apply_ch")
            data__batchapplych = data["batch_apply_ch"]
            if not isinstance(data__batchapplych, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".batch_apply_ch must be boolean")
        if "shutdown_on_remove" in data_keys:
            data_keys.remove("shutdown_on_remove")
            data__shutdownonremove = data["shutdown_on_remove"]
            if not isinstance(data__shutdownonremove, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".shutdown_on_remove must be boolean")
        if "trailing_logs" in data_keys:
            data_keys.remove("trailing_logs")
            data__trailinglogs = data["trailing_logs"]
            if not isinstance(data__trailinglogs, (int)) and not (isinstance(data__trailinglogs, float) and data__trailinglogs.is_integer()) or isinstance(data__trailinglogs, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".trailing_logs must be integer")
            if isinstance(data__trailinglogs, (int, float, Decimal)) and not isinstance(data__trailinglogs, bool):
                if data__trailinglogs < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".trailing_logs must be bigger than or equal to 0")
        if "no_snapshot_restore_on_start" in data_keys:
            data_keys.remove("no_snapshot_restore_on_start")
            data__nosnapshotrestoreonstart = data["no_snapshot_restore_on_start"]
            if not isinstance(data__nosnapshotrestoreonstart, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".no_snapshot_restore_on_start must be boolean")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data

def validate_entry_schema_json___defs_entry_properties_py_modules(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_prefer_platform(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    return data

def validate_entry_schema_json___defs_entry_properties_polling(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_polling(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_placement(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_placement(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_output_array_type(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, NoneType)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or null")
    return data

def validate_entry_schema_json___defs_entry_properties_no_reduce(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_native(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_install_requirements(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_host_in(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_host(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_grpc_metadata(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_scalar_map(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_gpus(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int, str)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer or string")
    return data

def validate_entry_schema_json___defs_entry_properties_force_update(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_force_network_mode(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if not (isinstance(data, str) and data == 'AUTO' or isinstance(data, str) and data == 'HOST' or isinstance(data, str) and data == 'BRIDGE' or isinstance(data, str) and data == 'NONE'):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be one of ['AUTO', 'HOST', 'BRIDGE', 'NONE']")
    return data

def validate_entry_schema_json___defs_entry_properties_force(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_floating(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_external(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_exit_on_exceptions(data, custom_formats={}, name_prefix=None):
    validate_entry_schema_json___defs_string_or_strings(data, custom_formats, (name_prefix or "data") + "")
    return data

def validate_entry_schema_json___defs_entry_properties_disable_reduce(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_disable_auto_volume(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate_entry_schema_json___defs_entry_properties_allow_concurrent(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate____defs_gateway_properties_proxy(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate____defs_gateway_properties_expose_graphql_endpoint(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate____defs_gateway_properties_expose_endpoints(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or object")
    return data

def validate____defs_gateway_properties_no_crud_endpoints(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate____defs_gateway_properties_no_debug_endpoints(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (bool)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be boolean")
    return data

def validate____defs_gateway_properties_prefetch(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int)) and not (isinstance(data, float) and data.is_integer()) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be integer")
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 0:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must be bigger than or equal to 0")
    return data

def validate____defs_version(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, int, float, Decimal)) or isinstance(data, bool):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string or number")
    return data
