"""Why a problem file (or a --set value) cannot be read, in English and Chinese: the
sentences of the problem reader's common checks (tutor/problems/loader.py's Reader and the
tensor reader), each raised as `ProblemError.keyed(key, **fields)`."""

from __future__ import annotations

# key -> (English, Chinese); `{name}` fields are filled by `messages.say`
PROBLEMS: dict[str, tuple[str, str]] = {
    # an expression or number of the file the parser refused ({why}: a parse_* message)
    "field_unreadable": ("'{field}': {why}{where}", "'{field}'：{why}{where}"),
    "condition_unreadable": ("{field}: '{text}': {why}{where}", "{field}：'{text}'：{why}{where}"),
    "set_unreadable": ("--set {name}: {why}", "--set {name} 的值无法读取：{why}"),
    "field_mapping": ("'{field}' must be a mapping (key: value)", "'{field}' 必须是映射（键: 值）"),
    "field_unknown_key": ("unknown key '{name}' in {field}", "{field} 中有未知的键 '{name}'"),
    "field_unknown_key_close": (
        "unknown key '{name}' in {field}; did you mean '{close}'?",
        "{field} 中有未知的键 '{name}'；是不是 '{close}'？",
    ),
    "the_problem": ("the problem", "题目"),
    "field_missing": ("missing '{field}'", "缺少 '{field}'"),
    "field_single": ("'{field}' must be a single value", "'{field}' 必须是单个值"),
    "field_missing_text": (
        "missing '{field}' (with 'en' and 'zh')",
        "缺少 '{field}'（含 'en' 和 'zh'）",
    ),
    "field_needs_both": (
        "'{field}' needs both 'en' and 'zh'",
        "'{field}' 需要同时给出 'en' 和 'zh'",
    ),
    "field_not_number": (
        "'{field}' must be a number, not '{text}'",
        "'{field}' 必须是数，而不是 '{text}'",
    ),
    "name_too_long": (
        "name too long ({n} characters, at most {most})",
        "名称太长（{n} 个字符，最多 {most} 个）",
    ),
    "name_not_identifier": (
        "name '{name}' is not a plain identifier (letters, digits, _; at most {most})",
        "名称 '{name}' 不是普通的标识符（字母、数字、_；最多 {most} 个字符）",
    ),
    "name_is_function": (
        "name '{name}' is a function name and cannot be a variable",
        "名称 '{name}' 是函数名，不能用作变量",
    ),
    "tensor_entries": ("a tensor's entries are numbers", "张量的元素必须是数"),
    "tensor_not_number": ("'{text}' is not a number", "'{text}' 不是数"),
    # views (`solve --view`, `quiz --view`, `tutor.quiz(view=)`)
    "view_unknown": (
        "unknown view '{view}' (use matrix or scalar)",
        "未知的视图 '{view}'（用 matrix 或 scalar）",
    ),
    "view_no_scalar": (
        "a tensor problem has no per-weight view (--view scalar is for network: problems)",
        "张量题没有逐个权重的视图（--view scalar 只用于 network: 题）",
    ),
    "view_no_matrix": (
        "the matrix view is for tensor problems and network: problems",
        "矩阵视图只用于张量题和 network: 题",
    ),
    "view_set_tensor": (
        "--set replaces a number of a scalar problem; a tensor problem gives its values in the file",
        "--set 替换标量题中的数；张量题的数值写在文件里",
    ),
    "remark_no_quantity": (
        "remark '{name}' names no quantity of this problem (write a name, dL/dname or name')",
        "备注 '{name}' 没有指向本题的任何量（写作名称、dL/d名称 或 名称'）",
    ),
    "ask_unknown": (
        "unknown ask '{name}' (one of {known})",
        "未知的所求项 '{name}'（可选：{known}）",
    ),
    "ask_unknown_close": (
        "unknown ask '{name}'; did you mean '{close}'? (one of {known})",
        "未知的所求项 '{name}'；是不是 '{close}'？（可选：{known}）",
    ),
    "ask_nothing_counted": (
        "ask 'parameters': no equation reads a parameter, so there is no layer to count",
        "所求项 'parameters'：没有任何方程用到参数，没有可计数的层",
    ),
}
