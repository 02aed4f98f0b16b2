"""Writes DIR/main.deploy importing a.deploy, b.deploy and c.deploy: large
enough (about 200 KB) that deployc parses them on several threads. a.deploy
and b.deploy each end with a mistake; c.deploy imports b.deploy again."""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def services(prefix, count):
    text = ""
    for i in range(count):
        text += (
            f"service {prefix}_{i} {{\n"
            f'  image    = "registry.example.com/{prefix}-{i}:1.0"\n'
            f"  replicas = 2\n"
            f"  resources {{ cpu = 250m  memory = 256Mi }}\n"
            f"  port http = 8080\n"
            f"}}\n\n")
    return text


with open(os.path.join(out, "main.deploy"), "w") as f:
    f.write('import "./a.deploy"\nimport "./b.deploy"\nimport "./c.deploy"\n')
with open(os.path.join(out, "a.deploy"), "w") as f:
    f.write(services("alpha", 700) + "service alpha_bad {\n  replicas = = 2\n}\n")
with open(os.path.join(out, "b.deploy"), "w") as f:
    f.write(services("beta", 700) + "service beta_bad {\n  image = \"x\"\n  replicas = \n}\n")
with open(os.path.join(out, "c.deploy"), "w") as f:
    f.write('import "./b.deploy"\n\n' + services("gamma", 700))
