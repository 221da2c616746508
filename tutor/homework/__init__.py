"""The teacher's loop (issue 24): a personal variant of each problem for every student,
handouts, answer files and keys (`make`), and a gradebook from the filled answer files
(`grade`). Built from the pieces the rest of the tool has: the random variants
(tutor/variants), the export's handout and worked solution (tutor/views), the quiz's questions
and grader (tutor/quiz). `roster` reads the class list, `manifest` is the JSON that joins the
two commands, `pages` writes the HTML a teacher and a student read, `pdf` prints it."""
