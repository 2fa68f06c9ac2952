"""ATOL's driver v10 web server ("Драйвер ККТ АТОЛ 10", its HTTP service on the shop's network): the JSON
tasks of a fiscal register built from plain values (`tasks`), and the HTTP client that posts a task
by its uuid and reads its result back (`client`)."""
