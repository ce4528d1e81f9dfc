# Generated from schemas/executor.schema.json by `python -m flowc.compiler.fastcheck` (fastjsonschema 2.22.3).
# Do not edit: regenerate. Used only as a yes/no gate; see fastcheck.py.
# fmt: off
# flake8: noqa
SOURCES = {'entry': 1433267214, 'executor': 3767284186}  # CRC-32 of the schema files it was made from
VERSION = "2.22.3"
from decimal import Decimal
from flowc.compiler.fastcheck import Invalid as JsonSchemaValueException, Invalid as JsonSchemaValuesException


NoneType = type(None)

def validate(data, custom_formats={}, name_prefix=None):
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
            data__metas_any_of_count1 = 0
            if not data__metas_any_of_count1:
                try:
                    validate____defs_metas(data__metas, custom_formats, (name_prefix or "data") + ".metas")
                    data__metas_any_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metas_any_of_count1:
                try:
                    if not isinstance(data__metas, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".metas must be null")
                    data__metas_any_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metas_any_of_count1:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".metas cannot be validated by any definition")
        if "requests" in data_keys:
            data_keys.remove("requests")
            data__requests = data["requests"]
            data__requests_any_of_count2 = 0
            if not data__requests_any_of_count2:
                try:
                    validate____defs_requests(data__requests, custom_formats, (name_prefix or "data") + ".requests")
                    data__requests_any_of_count2 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__requests_any_of_count2:
                try:
                    if not isinstance(data__requests, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".requests must be null")
                    data__requests_any_of_count2 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__requests_any_of_count2:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".requests cannot be validated by any definition")
        if "dynamic_batching" in data_keys:
            data_keys.remove("dynamic_batching")
            data__dynamicbatching = data["dynamic_batching"]
            data__dynamicbatching_any_of_count3 = 0
            if not data__dynamicbatching_any_of_count3:
                try:
                    validate____defs_dynamic_batching(data__dynamicbatching, custom_formats, (name_prefix or "data") + ".dynamic_batching")
                    data__dynamicbatching_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__dynamicbatching_any_of_count3:
                try:
                    if not isinstance(data__dynamicbatching, (NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".dynamic_batching must be null")
                    data__dynamicbatching_any_of_count3 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__dynamicbatching_any_of_count3:
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

def validate_entry_schema_json___defs_string_or_strings(data, custom_formats={}, name_prefix=None):
    data_any_of_count4 = 0
    if not data_any_of_count4:
        try:
            if not isinstance(data, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
            data_any_of_count4 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count4:
        try:
            if not isinstance(data, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array")
            data_is_list = isinstance(data, (list, tuple))
            if data_is_list:
                data_len = len(data)
                for data_x, data_item in enumerate(data):
                    if not isinstance(data_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + " must be string")
            data_any_of_count4 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count4:
        raise JsonSchemaValueException("" + (name_prefix or "data") + " cannot be validated by any definition")
    return data

def validate____defs_dynamic_batching(data, custom_formats={}, name_prefix=None):
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

def validate____defs_requests(data, custom_formats={}, name_prefix=None):
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

def validate____defs_metas(data, custom_formats={}, name_prefix=None):
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
