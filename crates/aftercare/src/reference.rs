//! The generated CLI reference (`docs/cli.md`): every command's help, rendered from the
//! clap definitions so that it cannot drift from the code.

use clap::CommandFactory;

use crate::cli::Cli;

/// The reference as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# aftercare command-line reference\n\n\
         Generated from the clap definitions by `cargo test -p aftercare --test it` \
         (set `AFTERCARE_UPDATE_REFERENCES=1` to rewrite it). Do not edit by hand.\n",
    );
    let mut root = Cli::command();
    root.build();
    render(&mut root, "aftercare", &mut out);
    out
}

fn render(command: &mut clap::Command, path: &str, out: &mut String) {
    let help = command
        .clone()
        .term_width(100)
        .render_long_help()
        .to_string();
    out.push_str(&format!(
        "\n## `{path}`\n\n```text\n{}\n```\n",
        help.trim_end()
    ));
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        if let Some(sub) = command.find_subcommand_mut(&name) {
            render(sub, &format!("{path} {name}"), out);
        }
    }
}
