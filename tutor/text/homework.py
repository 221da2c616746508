"""The words of `homework make` and `homework grade` (handouts, feedback, the class summary),
en and zh, as `messages.say` keeps the rest."""

from __future__ import annotations

MESSAGES = {
    # handouts and keys
    "handout_title": ("{set}: homework of {name} ({id})", "{set}：{name}（{id}）的作业"),
    "key_title": ("{set}: answer key of {name} ({id})", "{set}：{name}（{id}）的答案"),
    "handout_note": (
        "Your own numbers: work each problem by hand and write one answer per line in "
        "{file}, after the '=' of its line (a number, a fraction such as 1/8, or a "
        "matrix as [1, 2; 3, 4]). Keep at least 4 significant figures.",
        "这是你自己的一组数。请手算每道题，把答案逐行写进 {file}，写在该行的 '=' 后面"
        "（数、分数如 1/8，或矩阵如 [1, 2; 3, 4]）。请至少保留 4 位有效数字。",
    ),
    "questions": ("Questions", "问题"),
    "no": ("No.", "序号"),
    "quantity": ("Quantity", "所求量"),
    "line": ("Answer line", "答题行"),
    "shape": ("Shape", "形状"),
    "your_answer": ("Your answer", "你的答案"),
    "practise": (
        "Practise the same numbers with: bptutor quiz {pid} --seed {seed}",
        "用同一组数练习：bptutor quiz {pid} --seed {seed}",
    ),
    # the teacher's index
    "index_title": ("{set}: homework for {n} students", "{set}：{n} 名学生的作业"),
    "student": ("Student", "学生"),
    "id": ("ID", "学号"),
    "name": ("Name", "姓名"),
    "handout": ("Handout", "作业"),
    "key": ("Key", "答案"),
    "template": ("Answer file", "答题文件"),
    "seeds": ("Seeds", "种子"),
    "index_grade": (
        "Collect the filled answer files as ID.txt in one folder and run: "
        "bptutor homework grade {folder} SUBMISSIONS -o grades.csv",
        "把填好的答题文件按 学号.txt 收到一个文件夹，然后运行："
        "bptutor homework grade {folder} 提交文件夹 -o grades.csv",
    ),
    # grading
    "feedback_title": ("{set}: feedback for {name} ({id})", "{set}：{name}（{id}）的反馈"),
    "answer": ("Answer", "答案"),
    "verdict": ("Verdict", "判定"),
    "credit": ("Credit", "得分"),
    "mistake": ("Mistake", "错误类型"),
    "comment": ("Comment", "说明"),
    "score": ("Score: {score}", "得分：{score}"),
    "total": ("Total", "总分"),
    "worked": ("Your worked solution", "你这组数的详细解答"),
    "no_file": ("No answer file was handed in.", "没有交答题文件。"),
    "summary_title": ("{set}: class summary", "{set}：全班汇总"),
    "summary_note": (
        "{graded} of {n} students handed in an answer file. Right first time: the share of "
        "the students with a file whose answer was right; the mistakes are the grader's names.",
        "{n} 名学生中有 {graded} 人交了答题文件。一次答对：交了文件的学生中答对的比例；"
        "错误类型是评分程序识别出的名称。",
    ),
    "question": ("Question", "问题"),
    "right_first": ("Right", "答对"),
    "share": ("Share right", "答对比例"),
    "common": ("Most common mistakes", "最常见的错误"),
    "chart": ("Share right per question", "各题答对比例"),
    "unmatched": (
        "Files not graded (not ID.txt of a student)",
        "未评分的文件（不是某个学生的 学号.txt）",
    ),
    "missing": ("Students without an answer file", "没有交答题文件的学生"),
    # verdicts and mistakes, as the tables show them
    "v_right": ("right", "正确"),
    "v_carried": ("carried (half credit)", "沿用前错（一半分）"),
    "v_wrong": ("wrong", "错误"),
    "v_invalid": ("unreadable", "无法读取"),
    "v_undecided": ("too few figures", "有效数字不够"),
    "v_unanswered": ("no answer", "未作答"),
    # the command's own lines
    "made": (
        "wrote homework {set} for {n} students × {p} problems to {folder} "
        "(index.html, manifest.json)",
        "已把作业 {set}（{n} 名学生 × {p} 道题）写入 {folder}（index.html、manifest.json）",
    ),
    "graded": (
        "graded {graded} of {n} students: {csv}, {detail}, {summary} and feedback/",
        "已评 {n} 名学生中的 {graded} 人：{csv}、{detail}、{summary} 和 feedback/",
    ),
    "not_graded": ("not graded: {files}", "未评分：{files}"),
    "no_chromium": (
        "--pdf needs Chromium (chromium or chromium-browser on PATH): none found",
        "--pdf 需要 Chromium（PATH 中的 chromium 或 chromium-browser）：没有找到",
    ),
}


def say(lang: str, key: str, **fields) -> str:
    """The message `key` in `lang` (English for any other language), its fields filled."""
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)
