<?php
/**
 * Uninstall: remove every option StoreChat stored. WordPress runs this file
 * when the plugin is deleted from the Plugins screen.
 *
 * @package StoreChat
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-storechat-options.php';

foreach ( StoreChat_Options::all_options() as $storechat_option ) {
	delete_option( $storechat_option );
	delete_site_option( $storechat_option );
}
wp_clear_scheduled_hook( 'storechat_retry_notifications' );
