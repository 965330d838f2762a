using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TrainService.Jobs.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AccessAndProjects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "runs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "graphs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "datasets",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_runs_Project_Status",
                table: "runs",
                columns: new[] { "Project", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_graphs_Project",
                table: "graphs",
                column: "Project");

            migrationBuilder.CreateIndex(
                name: "IX_datasets_Project",
                table: "datasets",
                column: "Project");

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_Hash",
                table: "api_keys",
                column: "Hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropIndex(
                name: "IX_runs_Project_Status",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_graphs_Project",
                table: "graphs");

            migrationBuilder.DropIndex(
                name: "IX_datasets_Project",
                table: "datasets");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "graphs");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "datasets");
        }
    }
}
